using Microsoft.ML.OnnxRuntime;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

// Health of the server-side engine: which ONNX Runtime build and execution providers this host has.
// The studio pages (upload, progress, gallery) are built on top of this host.
app.MapGet("/healthz", () => Results.Json(new
{
    status = "ok",
    onnxRuntime = OrtEnv.Instance().GetVersionString(),
    executionProviders = OrtEnv.Instance().GetAvailableProviders(),
}));

app.Run();

public partial class Program;
