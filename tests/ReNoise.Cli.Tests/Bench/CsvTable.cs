using CsvHelper;

namespace ReNoise.Cli.Tests.Bench;

/// <summary>A CSV file read back with CsvHelper: the header and the rows as strings.</summary>
internal sealed record CsvTable(string[] Header, IReadOnlyList<string[]> Rows)
{
    public static CsvTable Read(string path)
    {
        using var csv = CsvReader.Create(File.OpenRead(path), CsvReaderOptions.Default);
        var rows = new List<string[]>();
        while (csv.Read()) rows.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetString(i)).ToArray());
        return new CsvTable([.. csv.Headers], rows);
    }

    public int Column(string name) => Array.IndexOf(Header, name);
}
