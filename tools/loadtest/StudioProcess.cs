using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ReNoise.LoadTest;

/// <summary>
/// The studio as its own process (the built ReNoise.Web.dll, Production environment) on a loopback
/// port with a throw-away database, so its memory is measured alone.
/// </summary>
public sealed class StudioProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private StudioProcess(Process process, string folder, Uri baseAddress)
    {
        _process = process;
        _folder = folder;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public static async Task<StudioProcess> StartAsync(string appDll, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        if (!File.Exists(appDll)) throw new FileNotFoundException($"the studio is not built: {appDll} (dotnet build src/ReNoise.Web)");
        string folder = Path.Combine(Path.GetTempPath(), "renoise-loadtest", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        int port = FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(appDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(appDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.ArgumentList.Add($"--ReNoise:Database:Path={Path.Combine(folder, "renoise.db")}");
        foreach (var (key, value) in settings) start.ArgumentList.Add($"--{key}={value}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_gcServer"] = "0";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (log) log.Add(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (log) log.Add(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var studio = new StudioProcess(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = studio.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited) break;
            try
            {
                using var health = await http.GetAsync("healthz");
                if (health.StatusCode == HttpStatusCode.OK) return studio;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        string tail;
        lock (log) tail = string.Join(Environment.NewLine, log.TakeLast(30));
        await studio.DisposeAsync();
        throw new InvalidOperationException($"the studio did not become healthy within {timeout.TotalSeconds:0} s:{Environment.NewLine}{tail}");
    }

    /// <summary>The process's resident memory (VmRSS), in MB.</summary>
    public double ResidentMegabytes()
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
