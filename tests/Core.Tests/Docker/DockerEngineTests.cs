using Cluster.Core.Docker;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Docker;

public sealed class DockerEngineTests
{
    [Fact]
    public async Task GetInfo_EngineNotRunning_IsEngineFailureNamingTheEndpoint()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var socket = Path.Combine(Path.GetTempPath(), $"no-such-engine-{Guid.NewGuid():N}.sock");
        using var engine = new DockerEngine(new Uri("unix://" + socket));

        var error = await Assert.ThrowsAsync<DockerOperationException>(() => engine.GetInfoAsync(cts.Token));

        Assert.Equal(RegistryFailureKind.Engine, error.Kind);
        Assert.Contains(socket, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistryLogin_ToString_NeverShowsTheSecret()
    {
        var login = new RegistryLogin("ghcr.io", "alice", "ghp_s3cretValue");

        Assert.DoesNotContain("ghp_s3cretValue", login.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_s3cretValue", $"{login}", StringComparison.Ordinal);
    }

    [Fact]
    public void EncodeRegistryAuth_IsBase64UrlJsonTheEngineReads()
    {
        var header = DockerEngine.EncodeRegistryAuth(new RegistryLogin("10.77.0.254:5000", "alice", "p+/w?"));
        var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/')));

        Assert.Contains("\"username\":\"alice\"", json, StringComparison.Ordinal);
        Assert.Contains("\"serveraddress\":\"10.77.0.254:5000\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain('+', header);
        Assert.DoesNotContain('/', header);
    }

    [Fact]
    public async Task BuildContext_ToTar_HoldsFilesWithTheirModes()
    {
        var context = new BuildContext().AddText("Dockerfile", "FROM scratch\n").Add("bin/x", [1, 2, 3], UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var tar = context.ToTar();
        using var reader = new System.Formats.Tar.TarReader(tar);

        var first = await reader.GetNextEntryAsync();
        var second = await reader.GetNextEntryAsync();

        Assert.Equal("Dockerfile", first!.Name);
        Assert.Equal("bin/x", second!.Name);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserExecute, second.Mode);
        Assert.Null(await reader.GetNextEntryAsync());
    }
}
