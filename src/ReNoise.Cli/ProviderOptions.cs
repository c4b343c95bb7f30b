using System.CommandLine;
using ReNoise.Engine;
using ReNoise.Engine.Models;

namespace ReNoise.Cli;

/// <summary>--execution-provider and --device-id, shared by every command that loads a model.</summary>
internal sealed class ProviderOptions
{
    private readonly Option<string> _provider = CliApp.Optional<string>("--execution-provider",
        "auto | cuda | cpu: where ONNX Runtime runs the model (default auto: CUDA when usable, else CPU with a warning)");

    private readonly Option<int?> _deviceId = CliApp.Optional<int?>("--device-id", "CUDA device id (default 0)");

    public void AddTo(Command command)
    {
        command.Options.Add(_provider);
        command.Options.Add(_deviceId);
    }

    public ModelLoadOptions LoadOptions(ParseResult p)
    {
        var options = new ModelLoadOptions
        {
            ExecutionProvider = p.GetValue(_provider) is { } name
                ? ModelLoadOptions.ParseExecutionProvider(name, "--execution-provider")
                : ExecutionProvider.Auto,
            CudaDeviceId = p.GetValue(_deviceId) ?? 0,
        };
        if (options.CudaDeviceId < 0) throw new ReNoiseInputException($"--device-id must be 0 or more, got {options.CudaDeviceId}");
        return options;
    }
}
