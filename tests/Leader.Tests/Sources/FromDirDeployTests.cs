using System.Text.Json;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Tests.Sources;

// `clusterctl deploy NAME --from-dir PATH` against the real cluster-leader and clusterctl
// binaries (no engine, no build server): every refusal comes before a byte is uploaded, says
// why and what to type, and leaves nothing in DATA_DIR/uploads. The upload itself is also sent
// raw (grpc, header only), as any client could, to show the leader refuses it on its own.
// One leader serves the class (every upload in it is refused, so DATA_DIR/uploads stays empty
// throughout); each test names its own apps.
public sealed class FromDirDeployTests(SmallUploadsLeader fixture) : IClassFixture<SmallUploadsLeader>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fromdir-test-").FullName;
    private readonly InProcessLeader _leader = fixture.Leader;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task FromDirApp_NoBuildServerConnected_FailsClearlyAndUploadsNothing()
    {
        var created = await _leader.CtlAsync(null, "app", "create", "nobuilder", "--from-dir", "--build-arg", "MODE=prod");
        Assert.True(created.ExitCode == 0, created.ToString() + "\nleader:\n" + _leader.Output);
        var folder = Folder("nobuilder", ("Dockerfile", "FROM scratch\nCOPY app.txt /\n"), ("app.txt", "hello"));

        var deploy = await _leader.CtlAsync(null, "deploy", "nobuilder", "--from-dir", folder);
        var raw = await UploadHeaderAsync("nobuilder", 2048);

        Assert.NotEqual(0, deploy.ExitCode);
        Assert.Contains("no build server is connected", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("start cluster-builder", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("nothing was uploaded", deploy.Output, StringComparison.Ordinal);
        Assert.True(raw.GrpcStatus == 9 && raw.GrpcMessage.Contains("no build server is connected", StringComparison.Ordinal), raw.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Uploads));
        Assert.Empty(await _leader.DeploymentsAsync("nobuilder"));
        using var shown = JsonDocument.Parse((await _leader.CtlAsync(null, "app", "show", "nobuilder", "-o", "json")).Output);
        Assert.Equal("dir", shown.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task FromDirApp_DeployWithoutAFolder_IsRefusedWithWhatToType()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "nofolder", FromDir = true });

        var plain = await _leader.CtlAsync(null, "deploy", "nofolder");
        var tagged = await _leader.CtlAsync(null, "deploy", "nofolder", "--tag", "1.0", "--from-dir", _dir);

        Assert.NotEqual(0, plain.ExitCode);
        Assert.Contains("clusterctl deploy nofolder --from-dir PATH", plain.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, tagged.ExitCode);
        Assert.Contains("--tag and --from-dir do not go together", tagged.Output, StringComparison.Ordinal);
        Assert.Empty(await _leader.DeploymentsAsync("nofolder"));
    }

    [Fact]
    public async Task ImageOrGitApp_DeployFromDir_IsRefusedWithWhatToType()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "img", Image = "nginx:1.27" });
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "src", GitUrl = "https://git.example.com/acme/web.git" });
        var folder = Folder("web", ("Dockerfile", "FROM scratch\n"));

        var image = await _leader.CtlAsync(null, "deploy", "img", "--from-dir", folder);
        var git = await _leader.CtlAsync(null, "deploy", "src", "--from-dir", folder);
        var raw = await UploadHeaderAsync("img", 2048);

        Assert.NotEqual(0, image.ExitCode);
        Assert.Contains("runs the image docker.io/library/nginx, not a folder", image.Output, StringComparison.Ordinal);
        Assert.Contains("clusterctl deploy img [--tag TAG]", image.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, git.ExitCode);
        Assert.Contains("is built from Git", git.Output, StringComparison.Ordinal);
        Assert.Contains("clusterctl deploy src`", git.Output, StringComparison.Ordinal);
        Assert.True(raw.GrpcStatus == 9 && raw.GrpcMessage.Contains("not a folder", StringComparison.Ordinal), raw.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Uploads));
    }

    [Fact]
    public async Task FolderOverTheLeadersCap_IsRefusedBeforeUploadSayingHowToFixIt()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "big", FromDir = true });
        var folder = Folder("web", ("Dockerfile", "FROM scratch\n"));
        File.WriteAllBytes(Path.Combine(folder, "big.bin"), new byte[200_000]);

        var deploy = await _leader.CtlAsync(null, "deploy", "big", "--from-dir", folder);
        var raw = await UploadHeaderAsync("big", 200_000);
        File.WriteAllText(Path.Combine(folder, ".dockerignore"), "*.bin\n");
        var ignored = await _leader.CtlAsync(null, "deploy", "big", "--from-dir", folder);

        Assert.NotEqual(0, deploy.ExitCode);
        Assert.Contains("is larger than the leader's limit of 64 KiB", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("nothing was uploaded", deploy.Output, StringComparison.Ordinal);
        Assert.Contains(".dockerignore", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("--max-upload-size", deploy.Output, StringComparison.Ordinal);
        Assert.True(raw.GrpcStatus == 8 && raw.GrpcMessage.Contains("over the leader's limit of 64 KiB", StringComparison.Ordinal), raw.ToString());
        // With the big file ignored the folder fits: what stops it now is the missing builder.
        Assert.NotEqual(0, ignored.ExitCode);
        Assert.Contains("no build server is connected", ignored.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Uploads));
    }

    [Fact]
    public async Task PathThatIsNotADirectory_IsRefusedSayingSo()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "paths", FromDir = true });
        var file = Path.Combine(_dir, "Dockerfile");
        File.WriteAllText(file, "FROM scratch\n");

        var isFile = await _leader.CtlAsync(null, "deploy", "paths", "--from-dir", file);
        var missing = await _leader.CtlAsync(null, "deploy", "paths", "--from-dir", Path.Combine(_dir, "nope"));
        var noDockerfile = await _leader.CtlAsync(null, "deploy", "paths", "--from-dir", Folder("empty", ("app.txt", "x")));

        Assert.NotEqual(0, isFile.ExitCode);
        Assert.Contains("is a file, not a directory", isFile.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no such directory", missing.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, noDockerfile.ExitCode);
        Assert.Contains("no Dockerfile at 'Dockerfile'", noDockerfile.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppCreateFromDir_GitOnlyFlagsAndAutoSync_AreRefused()
    {
        var before = (await _leader.AppsAsync()).Select(a => a.Name).ToList();

        var withRef = await _leader.CtlAsync(null, "app", "create", "web", "--from-dir", "--ref", "main");
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        var autoSync = await grpc.CallAsync("/cluster.admin.v1.Apps/CreateApp", _leader.AdminToken, new CreateAppRequest { Name = "web", FromDir = true, AutoSync = true });
        var twoSources = await grpc.CallAsync("/cluster.admin.v1.Apps/CreateApp", _leader.AdminToken, new CreateAppRequest { Name = "web", FromDir = true, Image = "nginx:1.27" });

        Assert.NotEqual(0, withRef.ExitCode);
        Assert.Contains("--ref", withRef.Output, StringComparison.Ordinal);
        Assert.True(autoSync.GrpcStatus == 3 && autoSync.GrpcMessage.Contains("--auto-sync", StringComparison.Ordinal), autoSync.ToString());
        Assert.True(twoSources.GrpcStatus == 3 && twoSources.GrpcMessage.Contains("exactly one source", StringComparison.Ordinal), twoSources.ToString());
        Assert.Equal(before, (await _leader.AppsAsync()).Select(a => a.Name).ToList());
    }

    private string Uploads => Path.Combine(_leader.DataDir, "uploads");

    // The first message of SourceUploads/Upload only, then end of stream: the leader judges
    // the header before it reads any data.
    private async Task<RawGrpcResult> UploadHeaderAsync(string app, long bytes)
    {
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        return await grpc.CallAsync("/cluster.admin.v1.SourceUploads/Upload", _leader.AdminToken,
            new UploadChunk { Header = new UploadHeader { App = app, Name = "web", SizeBytes = bytes, Sha256 = new string('a', 64) } });
    }

    private string Folder(string name, params (string Path, string Text)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        foreach (var (path, text) in files)
        {
            File.WriteAllText(Path.Combine(root, path), text);
        }

        return root;
    }
}

// FromDirDeployTests' leader: uploads capped at 64 KiB, so a small folder is over the cap.
public sealed class SmallUploadsLeader() : LeaderFixture("--max-upload-size", "64K");
