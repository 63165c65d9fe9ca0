namespace Cluster.Install.Tests.Fixture;

// The checkout, found from the test assembly's location.
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string InstallScript => Path.Combine(Root, "install.sh");

    public static string LabScript => Path.Combine(Root, "tests", "lab", "lab.sh");

    // The build configuration these tests were built in: install.sh --no-build publishes the
    // programs of the same build (tests/Testing builds them).
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

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
