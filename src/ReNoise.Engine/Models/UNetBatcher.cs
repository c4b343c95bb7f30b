using System.Diagnostics;
using System.Runtime.ExceptionServices;
using ReNoise.Engine.Tensors;

namespace ReNoise.Engine.Models;

/// <summary>
/// Cross-job batching: the UNet calls that several jobs of one model make at the same time go out
/// as one batched call. Each job keeps its own loop, latents, prompts, noise maps and cancellation;
/// only the UNet evaluation is shared. A job takes a <see cref="Seat"/> for the duration of a loop;
/// each call of a seat adds its elements to the open batch of its latent shape (and timestep, when
/// the UNet takes one timestep per call) and waits. A batch runs as soon as every seated job is
/// waiting (the jobs advance together), when it is full, or when its oldest call has waited
/// <see cref="Linger"/> (so a job busy elsewhere never stalls the others for long). The thread of
/// one of its calls runs it; the others copy their outputs back when it is done.
/// </summary>
internal sealed class UNetBatcher
{
    private readonly UNet _unet;
    private readonly object _gate = new();
    private readonly List<Batch> _open = [];
    private readonly List<Batch> _idle = []; // finished batches, reused so that a batched call allocates nothing
    private int _seats;
    private int _pending; // calls in batches that have not started

    /// <param name="maxJobs">Jobs whose calls may share one batch (each call brings up to 4 elements: a pair, guided).</param>
    public UNetBatcher(UNet unet, int maxJobs, TimeSpan linger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJobs, 1);
        _unet = unet;
        MaxElements = 4 * maxJobs;
        Linger = linger;
    }

    /// <summary>Largest batch of one call.</summary>
    public int MaxElements { get; }

    /// <summary>How long a call waits for the other seated jobs before its batch runs without them.</summary>
    public TimeSpan Linger { get; }

    /// <summary>Batched calls made so far, and the elements they held (for measurements and tests).</summary>
    public (long Calls, long Elements) Stats { get { lock (_gate) return (_calls, _elements); } }

    private long _calls, _elements;

    /// <summary>A seat for one job's loop; its calls are batched with those of the other seats until it is disposed.</summary>
    public Seat Join(INoisePredictor predictor, ReadOnlyMemory<float> timestepCond)
    {
        lock (_gate) _seats++;
        return new Seat(this, predictor, timestepCond);
    }

    private void Leave()
    {
        lock (_gate)
        {
            _seats--;
            // The jobs still seated may all be waiting on a job that just left.
            if (_pending > 0 && _pending >= _seats) StartAll();
        }
    }

    private void Predict(Seat seat, ReadOnlySpan<float> samples, LatentShape shape, int timestep,
        ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
    {
        int elements = conditioning.Length, n = shape.Length;
        if (elements > MaxElements)
        {
            // Larger than any batch: run alone, as unbatched.
            seat.Predictor.Predict(samples, shape, timestep, conditioning, output);
            return;
        }
        Batch batch;
        int offset;
        bool run = false;
        lock (_gate)
        {
            batch = OpenBatch(shape, timestep, elements);
            offset = batch.Add(samples, timestep, conditioning, seat.TimestepCond.Span);
            _pending++;
            if (batch.Elements == MaxElements || _pending >= _seats) StartAll();
            while (true)
            {
                if (batch.State == BatchState.Done) break;
                if (batch.State == BatchState.Ready)
                {
                    batch.State = BatchState.Running;
                    run = true;
                    break;
                }
                if (batch.State == BatchState.Running)
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                var waited = Stopwatch.GetElapsedTime(batch.OpenedAt);
                if (waited >= Linger)
                {
                    Start(batch);
                    continue;
                }
                Monitor.Wait(_gate, Linger - waited);
            }
        }

        if (run) Run(batch);
        try
        {
            batch.Error?.Throw();
            batch.Output.AsSpan(offset * n, elements * n).CopyTo(output);
        }
        finally
        {
            lock (_gate)
            {
                if (--batch.Readers == 0) _idle.Add(batch);
            }
        }
    }

    private void Run(Batch batch)
    {
        try
        {
            int count = batch.Elements * batch.Shape.Length;
            _unet.Predict(batch.Input.AsSpan(0, count), batch.Shape, batch.Timesteps.AsSpan(0, batch.Elements),
                batch.Conditioning.AsSpan(0, batch.Elements), batch.Output.AsSpan(0, count),
                batch.TimestepCond is { } rows ? rows.AsSpan(0, batch.Elements * batch.CondWidth) : default);
        }
        catch (Exception e)
        {
            batch.Error = ExceptionDispatchInfo.Capture(e);
        }
        lock (_gate)
        {
            batch.State = BatchState.Done;
            Array.Clear(batch.Conditioning); // do not keep prompts alive through the pool
            _calls++;
            _elements += batch.Elements;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The open batch a call of <paramref name="elements"/> joins (a new one when none fits); under the lock.</summary>
    private Batch OpenBatch(LatentShape shape, int timestep, int elements)
    {
        foreach (var open in _open)
            if (open.Shape == shape && (_unet.TakesTimestepPerElement || open.Timestep == timestep) && open.Elements + elements <= MaxElements)
                return open;
        Batch? batch = null;
        for (int i = _idle.Count - 1; i >= 0 && batch is null; i--)
        {
            if (_idle[i].Input.Length != MaxElements * shape.Length) continue;
            batch = _idle[i];
            _idle.RemoveAt(i);
        }
        // Image sizes rarely change; batches of a size no longer used are dropped rather than kept.
        if (batch is null && _idle.Count >= 8) _idle.Clear();
        batch ??= new Batch(MaxElements, shape.Length, _unet.TimeCondProjDim ?? 0);
        batch.Reset(shape, timestep);
        _open.Add(batch);
        return batch;
    }

    private void StartAll()
    {
        foreach (var batch in _open.ToArray()) Start(batch);
    }

    /// <summary>Closes <paramref name="batch"/> to new calls and lets one of its callers run it; under the lock.</summary>
    private void Start(Batch batch)
    {
        if (batch.State != BatchState.Open) return;
        batch.State = BatchState.Ready;
        _open.Remove(batch);
        _pending -= batch.Calls;
        Monitor.PulseAll(_gate);
    }

    private enum BatchState { Open, Ready, Running, Done }

    private sealed class Batch(int capacity, int latentLength, int condWidth)
    {
        public LatentShape Shape { get; private set; }
        public int Timestep { get; private set; }
        public float[] Input { get; } = new float[capacity * latentLength];
        public float[] Output { get; } = new float[capacity * latentLength];
        public int[] Timesteps { get; } = new int[capacity];
        public PromptEmbeddings[] Conditioning { get; } = new PromptEmbeddings[capacity];
        public float[]? TimestepCond { get; } = condWidth > 0 ? new float[capacity * condWidth] : null;
        public int CondWidth { get; } = condWidth;
        public long OpenedAt { get; private set; }
        public BatchState State { get; set; }
        public ExceptionDispatchInfo? Error { get; set; }
        public int Elements { get; private set; }
        public int Calls { get; private set; }

        /// <summary>Callers that have not copied their outputs yet.</summary>
        public int Readers { get; set; }

        public void Reset(LatentShape shape, int timestep)
        {
            Shape = shape;
            Timestep = timestep;
            OpenedAt = Stopwatch.GetTimestamp();
            State = BatchState.Open;
            Error = null;
            Elements = Calls = Readers = 0;
        }

        /// <summary>Adds a call's elements; returns the index of its first element.</summary>
        public int Add(ReadOnlySpan<float> samples, int timestep, ReadOnlySpan<PromptEmbeddings> conditioning, ReadOnlySpan<float> condRow)
        {
            int first = Elements, n = Shape.Length;
            samples.CopyTo(Input.AsSpan(first * n));
            for (int b = 0; b < conditioning.Length; b++)
            {
                Timesteps[first + b] = timestep;
                Conditioning[first + b] = conditioning[b];
                if (TimestepCond is not null) condRow.CopyTo(TimestepCond.AsSpan((first + b) * CondWidth, CondWidth));
            }
            Elements += conditioning.Length;
            Calls++;
            Readers++;
            return first;
        }
    }

    /// <summary>One job's UNet for one loop; its calls join the batches of the other seats. Dispose it when the loop ends.</summary>
    public sealed class Seat : INoisePredictor, IDisposable
    {
        private readonly UNetBatcher _batcher;
        private int _left;

        internal Seat(UNetBatcher batcher, INoisePredictor predictor, ReadOnlyMemory<float> timestepCond)
        {
            _batcher = batcher;
            Predictor = predictor;
            TimestepCond = timestepCond;
        }

        /// <summary>The job's own view of the UNet (its LCM guidance embedding), used when a call runs alone.</summary>
        internal INoisePredictor Predictor { get; }

        /// <summary>The job's <c>timestep_cond</c> row; empty when the UNet takes none.</summary>
        internal ReadOnlyMemory<float> TimestepCond { get; }

        public void Predict(ReadOnlySpan<float> samples, LatentShape shape, int timestep,
            ReadOnlySpan<PromptEmbeddings> conditioning, Span<float> output)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _left) != 0, this);
            _batcher.Predict(this, samples, shape, timestep, conditioning, output);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) _batcher.Leave();
        }
    }
}
