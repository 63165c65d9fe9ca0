namespace Cluster.Lab.Tests.Fixture;

// Where things are in the checkout, found from the test assembly's location so tests run the
// same from the IDE, `dotnet test` and test.sh.
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string LabScript => Path.Combine(Root, "tests", "lab", "lab.sh");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cluster.sln not found above {AppContext.BaseDirectory}");
    }
}
