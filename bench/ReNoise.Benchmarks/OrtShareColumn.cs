using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReNoise.Benchmarks;

/// <summary>
/// Hands the ONNX Runtime time measured inside the benchmark process (BenchmarkDotNet runs each
/// benchmark in a child process) to the host's summary: the child appends one line per benchmark
/// case, at its global clean-up, to the file named by <see cref="EnvironmentVariable"/>; the host
/// reads it back in <see cref="OrtShareColumn"/>. The totals cover every call the process made
/// (pilot, warm-up and measured), so they are a share, not a replacement for BenchmarkDotNet's times.
/// </summary>
internal static class OrtShareLog
{
    public const string EnvironmentVariable = "RENOISE_BENCH_ORT_LOG";

    /// <summary>The host's log file, one per host process (only the host's value is ever used).</summary>
    public static string HostFile { get; } =
        Path.Combine(Path.GetTempPath(), $"renoise-bench-ort-{Environment.ProcessId}.tsv");

    public static string Key(string method, int imageSize) => $"{method}|{imageSize}";

    public static void Write(string key, long calls, TimeSpan wall, TimeSpan ort)
    {
        string line = string.Join('\t', key, calls.ToString(CultureInfo.InvariantCulture),
            wall.Ticks.ToString(CultureInfo.InvariantCulture), ort.Ticks.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"// ORT share {key}: {calls} calls, wall {wall.TotalMilliseconds:F1} ms, ORT {ort.TotalMilliseconds:F1} ms ({100 * ort / wall:F1} %)");
        string? path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(path)) File.AppendAllLines(path, [line]);
    }

    /// <summary>The last line logged for <paramref name="key"/>: calls, wall and ORT time.</summary>
    public static (long Calls, TimeSpan Wall, TimeSpan Ort)? Read(string key)
    {
        if (!File.Exists(HostFile)) return null;
        foreach (string line in File.ReadLines(HostFile).Reverse())
        {
            string[] parts = line.Split('\t');
            if (parts.Length == 4 && parts[0] == key)
                return (long.Parse(parts[1], CultureInfo.InvariantCulture),
                        TimeSpan.FromTicks(long.Parse(parts[2], CultureInfo.InvariantCulture)),
                        TimeSpan.FromTicks(long.Parse(parts[3], CultureInfo.InvariantCulture)));
        }
        return null;
    }
}

/// <summary>
/// Columns "ORT/op" (mean ONNX Runtime time per call), "ORT share" (ORT time / wall time) and
/// "Engine/op" (mean wall time outside ONNX Runtime per call: the engine's own work).
/// </summary>
internal sealed class OrtShareColumn(string id, string name, string legend, Func<(long Calls, TimeSpan Wall, TimeSpan Ort), string> format) : IColumn
{
    public static readonly IColumn[] All =
    [
        new OrtShareColumn("OrtPerOp", "ORT/op", "Mean time inside ONNX Runtime's Run per call (all calls of the process)",
            r => $"{r.Ort.TotalMilliseconds / r.Calls:F3} ms"),
        new OrtShareColumn("OrtShare", "ORT share", "Time inside ONNX Runtime's Run / wall time of the calls",
            r => $"{100 * r.Ort / r.Wall:F1} %"),
        new OrtShareColumn("EnginePerOp", "Engine/op", "Mean wall time outside ONNX Runtime's Run per call (all calls of the process)",
            r => $"{(r.Wall - r.Ort).TotalMilliseconds / r.Calls:F3} ms"),
    ];

    public string Id => id;
    public string ColumnName => name;
    public string Legend => legend;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public override string ToString() => name;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        string key = OrtShareLog.Key(benchmarkCase.Descriptor.WorkloadMethod.Name, (int)benchmarkCase.Parameters["ImageSize"]);
        return OrtShareLog.Read(key) is { Calls: > 0 } r ? format(r) : "?";
    }
}
