namespace Cluster.Leader.Tests.Credentials.Helpers;

// A temp directory of real docker-credential-* programs (shell scripts), the directory a test
// hands the runner as its search path. Deleted with the test.
public sealed class TestHelpers : IDisposable
{
    public TestHelpers() => Dir = Directory.CreateTempSubdirectory("cluster-helper-tests-").FullName;

    public string Dir { get; }

    // Helpers find `sh`, `cat`, `sleep` here; the test dir comes first.
    public string SearchPath => $"{Dir}:/usr/local/bin:/usr/bin:/bin";

    public void Install(string name, string script)
    {
        var path = Path.Combine(Dir, "docker-credential-" + name);
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
