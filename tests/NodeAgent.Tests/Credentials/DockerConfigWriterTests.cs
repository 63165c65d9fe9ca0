using System.Text;
using System.Text.Json.Nodes;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.Credentials;

public sealed class DockerConfigWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agent-dockercfg-").FullName;

    private string ConfigFile => Path.Combine(_dir, "home", ".docker", "config.json");

    private string StateDir => Path.Combine(_dir, "state");

    [Fact]
    public void Apply_FlagOff_WritesNothingAnywhere()
    {
        Writer(enabled: false).Apply(Snapshot(Node("a", "registry.example:5000")));

        Assert.False(File.Exists(ConfigFile));
        Assert.False(Directory.Exists(StateDir) && Directory.EnumerateFileSystemEntries(StateDir).Any());
    }

    [Fact]
    public void Apply_FlagOn_WritesAuthsOwnerOnlyAndKeepsTheOperatorsEntries()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigFile)!);
        File.WriteAllText(ConfigFile, """{"auths":{"mine.example":{"auth":"b3A6b3A="}},"detachKeys":"ctrl-x"}""");

        Writer(enabled: true).Apply(Snapshot(Node("a", "registry.example:5000", username: "u", secret: "p@ss")));

        var config = JsonNode.Parse(File.ReadAllText(ConfigFile))!;
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p@ss")), (string?)config["auths"]!["registry.example:5000"]!["auth"]);
        Assert.Equal("b3A6b3A=", (string?)config["auths"]!["mine.example"]!["auth"]);
        Assert.Equal("ctrl-x", (string?)config["detachKeys"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile));
    }

    [Fact]
    public void Apply_CredentialRemoved_RemovesOnlyTheEntryTheAgentWrote()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigFile)!);
        File.WriteAllText(ConfigFile, """{"auths":{"mine.example":{"auth":"b3A6b3A="}}}""");
        Writer(enabled: true).Apply(Snapshot(Node("a", "registry.example:5000"), Node("b", "other.example")));

        // A new process (restart) remembers what it wrote from the state dir.
        Writer(enabled: true).Apply(Snapshot(Node("b", "other.example")));

        var auths = JsonNode.Parse(File.ReadAllText(ConfigFile))!["auths"]!.AsObject();
        Assert.Equal(["mine.example", "other.example"], auths.Select(p => p.Key).Order());
    }

    [Fact]
    public void RemoveOwnedEntries_FlagTurnedOff_TakesBackWhatItWrote()
    {
        Writer(enabled: true).Apply(Snapshot(Node("a", "registry.example:5000")));

        Writer(enabled: false).RemoveOwnedEntries();

        Assert.Empty(JsonNode.Parse(File.ReadAllText(ConfigFile))!["auths"]!.AsObject());
        Assert.False(File.Exists(Path.Combine(StateDir, "docker-config.owned")));
    }

    [Fact]
    public void Apply_FlagOn_StateDirHoldsNoSecret()
    {
        Writer(enabled: true).Apply(Snapshot(Node("a", "registry.example:5000", secret: "never-in-state-dir")));

        foreach (var file in Directory.GetFiles(StateDir))
        {
            Assert.DoesNotContain("never-in-state-dir", File.ReadAllText(file), StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("user:never-in-state-dir")), File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Apply_ConfigFileIsNotJson_LeavesItUntouched()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ConfigFile)!);
        File.WriteAllText(ConfigFile, "not json {");

        Writer(enabled: true).Apply(Snapshot(Node("a", "registry.example:5000")));

        Assert.Equal("not json {", File.ReadAllText(ConfigFile));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DockerConfigWriter Writer(bool enabled) => new(
        new AgentOptions
        {
            Leader = "127.0.0.1:7443",
            JoinToken = "x",
            StateDir = StateDir,
            DockerHost = new Uri("unix:///x.sock"),
            WriteDockerConfig = enabled,
            DockerConfigFile = ConfigFile,
        },
        NullLogger<DockerConfigWriter>.Instance);

    private static AssignmentSnapshot Snapshot(params NodeCredential[] credentials) => AssignmentSnapshot.Empty with
    {
        Revision = 1,
        Credentials = System.Collections.Immutable.ImmutableDictionary.CreateRange(credentials.Select(c => KeyValuePair.Create(c.Id, c))),
    };
}
