"""Derives two UNet variants from the tiny-sd-turbo fixture for the model-layer tests.

unet-batch1.onnx       the batch axis fixed to 1 (as some exports do): the engine must run a batch
                       element by element.
unet-extra-input.onnx  an additional required input 'class_labels' (class conditioning, as upscaler
                       UNets have), which the engine does not build: it must refuse the model,
                       naming the input.

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
