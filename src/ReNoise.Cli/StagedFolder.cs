namespace ReNoise.Cli;

/// <summary>
/// Output written into a hidden sibling folder and moved into place only when complete, so a
/// failed run leaves no partial output folder behind.
/// </summary>
internal sealed class StagedFolder : IDisposable
{
    private readonly string _target;
    private bool _committed;

    public StagedFolder(string target)
    {
        _target = Path.GetFullPath(target);
        string parent = Path.GetDirectoryName(_target) ?? ".";
        if (!Directory.Exists(parent)) throw new Engine.ReNoiseInputException($"the parent folder of --out does not exist: {parent}");
        if (File.Exists(_target)) throw new Engine.ReNoiseInputException($"--out {target} is a file, not a folder");
        WorkingPath = Path.Combine(parent, $".{Path.GetFileName(_target)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(WorkingPath);
    }

    /// <summary>Where to write while the run is in progress.</summary>
    public string WorkingPath { get; }

    /// <summary>Moves the staged files into the target folder (created if needed, same-named files replaced).</summary>
    public void Commit()
    {
        if (!Directory.Exists(_target))
        {
            Directory.Move(WorkingPath, _target);
        }
        else
        {
            foreach (var file in Directory.GetFiles(WorkingPath))
                File.Move(file, System.IO.Path.Combine(_target, System.IO.Path.GetFileName(file)), overwrite: true);
            Directory.Delete(WorkingPath);
        }
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(WorkingPath)) Directory.Delete(WorkingPath, recursive: true);
    }
}
