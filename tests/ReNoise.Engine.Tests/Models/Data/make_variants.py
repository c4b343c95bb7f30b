"""Derives two UNet variants from the tiny-sd-turbo fixture for the model-layer tests.

unet-batch1.onnx       the batch axis fixed to 1 (as some exports do): the engine must run a batch
                       element by element.
unet-extra-input.onnx  an additional required input 'class_labels' (class conditioning, as upscaler
                       UNets have), which the engine does not build: it must refuse the model,
                       naming the input.
unet-conditioning-probe.onnx
                       a UNet-shaped probe with SDXL's and LCM's extra inputs (text_embeds f32 [b,6],
                       time_ids f16 [b,6], timestep_cond f32 [b,4]) whose out_sample [b,8,h,w] shows
                       what the engine fed: channels 0-5 = time_ids, 6 = text_embeds[:,0],
                       7 = timestep_cond[:,0], each broadcast over the latent's h x w.

Run with Debian's python3 (onnx 1.12): /usr/bin/python3 make_variants.py
"""
import os

import onnx
from onnx import TensorProto, helper

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.join(here, "..", "..", "..", "fixtures", "models", "tiny-sd-turbo", "unet", "model.onnx")

model = onnx.load(source)
for value in list(model.graph.input) + list(model.graph.output):
    dim = value.type.tensor_type.shape.dim[0]
    dim.Clear()
    dim.dim_value = 1
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(here, "unet-batch1.onnx"))

model = onnx.load(source)
model.graph.input.append(helper.make_tensor_value_info("class_labels", TensorProto.INT64, ["batch"]))
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(here, "unet-extra-input.onnx"))

# The conditioning probe: out_sample = sample * 0 + what was fed, per batch element and channel.
nodes = [
    helper.make_node("Cast", ["time_ids"], ["time_ids_f32"], to=TensorProto.FLOAT),
    helper.make_node("Slice", ["text_embeds", "zero", "one", "one"], ["text_first"]),
    helper.make_node("Slice", ["timestep_cond", "zero", "one", "one"], ["cond_first"]),
    helper.make_node("Concat", ["time_ids_f32", "text_first", "cond_first"], ["fed"], axis=1),
    helper.make_node("Unsqueeze", ["fed", "spatial_axes"], ["fed_4d"]),
    helper.make_node("Mul", ["sample", "zero_f"], ["sample_zero"]),
    helper.make_node("Add", ["sample_zero", "fed_4d"], ["out_sample"]),
]
initializers = [
    helper.make_tensor("zero", TensorProto.INT64, [1], [0]),
    helper.make_tensor("one", TensorProto.INT64, [1], [1]),
    helper.make_tensor("spatial_axes", TensorProto.INT64, [2], [2, 3]),
    helper.make_tensor("zero_f", TensorProto.FLOAT, [], [0.0]),
]
graph = helper.make_graph(
    nodes, "unet_conditioning_probe",
    [
        helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 8, "height", "width"]),
        helper.make_tensor_value_info("timestep", TensorProto.INT64, ["batch"]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", 77, 8]),
        helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", 6]),
        helper.make_tensor_value_info("time_ids", TensorProto.FLOAT16, ["batch", 6]),
        helper.make_tensor_value_info("timestep_cond", TensorProto.FLOAT, ["batch", 4]),
    ],
    [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, ["batch", 8, "height", "width"])],
    initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="make_variants")
model.ir_version = 7
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(here, "unet-conditioning-probe.onnx"))
