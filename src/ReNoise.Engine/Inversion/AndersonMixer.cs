using System.Numerics.Tensors;

namespace ReNoise.Engine.Inversion;

/// <summary>
/// Anderson acceleration (type II, Walker &amp; Ni 2011) of a fixed-point iteration x = G(x) over
/// flat latents. Given the iterate x_k and g_k = G(x_k), with residual f_k = g_k - x_k and the last
/// m differences dF_j = f_{j+1} - f_j, dG_j = g_{j+1} - g_j, the next iterate is
/// x_{k+1} = g_k - sum_j gamma_j dG_j with gamma = argmin ||f_k - sum_j gamma_j dF_j||.
/// With no history this is the plain step x_{k+1} = g_k. When the small least-squares system is
/// ill-conditioned the history is dropped (a restart) and the plain step is taken.
/// All buffers are allocated once; <see cref="Next"/> allocates nothing.
/// </summary>
internal sealed class AndersonMixer
{
    // A column whose Cholesky pivot falls below this fraction of its own squared norm is
    // (numerically) a combination of the others: restart rather than extrapolate wildly.
    private const double PivotTolerance = 1e-8;

    private readonly int _depth;
    private readonly float[] _residual;
    private readonly float[] _previousResidual;
    private readonly float[] _previousMapped;
    private readonly float[][] _dF;
    private readonly float[][] _dG;
    private readonly double[] _gram;
    private readonly double[] _rhs;
    private readonly double[] _gamma;
    private int _count;
    private int _newest = -1;
    private bool _hasPrevious;

    public AndersonMixer(int depth, int length)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), "the Anderson depth must be at least 1");
        _depth = depth;
        _residual = new float[length];
        _previousResidual = new float[length];
        _previousMapped = new float[length];
        _dF = new float[depth][];
        _dG = new float[depth][];
        for (int j = 0; j < depth; j++)
        {
            _dF[j] = new float[length];
            _dG[j] = new float[length];
        }
        _gram = new double[depth * depth];
        _rhs = new double[depth];
        _gamma = new double[depth];
    }

    /// <summary>Differences currently in the history (0..depth).</summary>
    public int HistoryCount => _count;

    /// <summary>Restarts the iteration: forgets every earlier iterate (the map changed).</summary>
    public void Reset()
    {
        _count = 0;
        _newest = -1;
        _hasPrevious = false;
    }

    /// <summary>
    /// Takes the iterate <paramref name="x"/> (x_k) and its image <paramref name="mapped"/> (G(x_k))
    /// and overwrites <paramref name="x"/> with the next iterate x_{k+1}.
    /// </summary>
    public void Next(Span<float> x, ReadOnlySpan<float> mapped)
    {
        TensorPrimitives.Subtract(mapped, x, _residual);
        if (_hasPrevious)
        {
            int slot = (_newest + 1) % _depth;
            TensorPrimitives.Subtract(_residual, _previousResidual, _dF[slot]);
            TensorPrimitives.Subtract(mapped, _previousMapped, _dG[slot]);
            _newest = slot;
            _count = Math.Min(_count + 1, _depth);
        }
        _residual.CopyTo(_previousResidual, 0);
        mapped.CopyTo(_previousMapped);
        _hasPrevious = true;

        mapped.CopyTo(x);
        if (_count == 0) return;
        if (!SolveLeastSquares())
        {
            // Keep the newest point as the start of a fresh history.
            _count = 0;
            _newest = -1;
            return;
        }
        for (int j = 0; j < _count; j++)
            TensorPrimitives.MultiplyAdd(_dG[Column(j)], (float)-_gamma[j], x, x);
    }

    /// <summary>Slot of the j-th column, newest first.</summary>
    private int Column(int j) => (_newest - j + _depth) % _depth;

    /// <summary>Normal equations (dF^T dF) gamma = dF^T f by Cholesky, in float64; false when ill-conditioned.</summary>
    private bool SolveLeastSquares()
    {
        int m = _count;
        for (int a = 0; a < m; a++)
        {
            float[] fa = _dF[Column(a)];
            _rhs[a] = TensorPrimitives.Dot<float>(fa, _residual);
            for (int b = 0; b <= a; b++)
                _gram[a * m + b] = _gram[b * m + a] = TensorPrimitives.Dot<float>(fa, _dF[Column(b)]);
        }
        // In-place Cholesky: the lower triangle becomes L with L L^T = gram.
        for (int a = 0; a < m; a++)
        {
            double diagonal = _gram[a * m + a];
            double pivot = diagonal;
            for (int k = 0; k < a; k++) pivot -= _gram[a * m + k] * _gram[a * m + k];
            if (!(pivot > PivotTolerance * diagonal) || !double.IsFinite(pivot)) return false;
            double l = Math.Sqrt(pivot);
            _gram[a * m + a] = l;
            for (int b = a + 1; b < m; b++)
            {
                double sum = _gram[b * m + a];
                for (int k = 0; k < a; k++) sum -= _gram[b * m + k] * _gram[a * m + k];
                _gram[b * m + a] = sum / l;
            }
        }
        // L y = rhs, then L^T gamma = y.
        for (int a = 0; a < m; a++)
        {
            double sum = _rhs[a];
            for (int k = 0; k < a; k++) sum -= _gram[a * m + k] * _gamma[k];
            _gamma[a] = sum / _gram[a * m + a];
        }
        for (int a = m - 1; a >= 0; a--)
        {
            double sum = _gamma[a];
            for (int k = a + 1; k < m; k++) sum -= _gram[k * m + a] * _gamma[k];
            _gamma[a] = sum / _gram[a * m + a];
        }
        for (int a = 0; a < m; a++)
            if (!double.IsFinite(_gamma[a])) return false;
        return true;
    }
}
