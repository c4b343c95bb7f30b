using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReNoise.Benchmarks;

/// <summary>
/// Columns for <see cref="InversionAllocationBenchmarks"/>: the renoise iterations of one inversion,
/// allocated bytes per iteration, and the marginal allocation of one more iteration, i.e. the slope
/// (bytes(R) - bytes(R_min)) / (iterations(R) - iterations(R_min)) against the smallest R measured.
/// Bytes come from the memory diagnoser's per-operation figure.
/// </summary>
internal sealed class RenoiseIterationColumns(string id, string name, string legend,
    Func<Summary, BenchmarkCase, string> value) : IColumn
{
    public static readonly IColumn[] All =
    [
        new RenoiseIterationColumns("RenoiseIterations", "Iterations", "Renoise iterations (loop model calls) per inversion",
            (_, c) => Iterations(c).ToString()),
        new RenoiseIterationColumns("BytesPerIteration", "Alloc/iteration", "Allocated bytes per inversion / iterations",
            (s, c) => Bytes(s, c) is long b ? $"{(double)b / Iterations(c):F0} B" : "?"),
        new RenoiseIterationColumns("MarginalBytes", "ΔAlloc/Δiteration", "Extra bytes per extra iteration, against the smallest R",
            Marginal),
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
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(summary, benchmarkCase);
    public override string ToString() => name;

    private static int R(BenchmarkCase c) => (int)c.Parameters["R"];

    private static int Iterations(BenchmarkCase c) => InversionAllocationBenchmarks.RenoiseIterations(R(c));

    private static long? Bytes(Summary s, BenchmarkCase c) => s[c]?.GcStats.GetBytesAllocatedPerOperation(c);

    /// <summary>Same values of every parameter but R (e.g. the same UNet).</summary>
    private static bool SameOtherParameters(BenchmarkCase a, BenchmarkCase b) =>
        a.Parameters.Items.Where(p => p.Name != "R")
            .All(p => Equals(p.Value, b.Parameters[p.Name]));

    private static string Marginal(Summary s, BenchmarkCase c)
    {
        var smallest = s.BenchmarksCases
            .Where(other => other.Descriptor == c.Descriptor && other.Job == c.Job && SameOtherParameters(other, c))
            .MinBy(R);
        if (smallest is null || R(smallest) == R(c)) return "-";
        if (Bytes(s, c) is not long bytes || Bytes(s, smallest) is not long baseBytes) return "?";
        return $"{(double)(bytes - baseBytes) / (Iterations(c) - Iterations(smallest)):F1} B";
    }
}
