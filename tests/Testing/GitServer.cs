using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Testing;

// A real Git server for tests, started by the test itself on the address it names: `git daemon`
// for public repositories (git://) and `git http-backend` behind a small Kestrel host that
// demands HTTP basic auth (http://), for private ones; on request (StartSshAsync) also a real
// OpenSSH `sshd` of its own (own config, own host key, own authorized_keys, all in a temp dir)
// serving git-upload-pack over ssh://. All serve the same bare repositories under Root. Commit
// with CommitAsync. Everything is stopped (by pid) and deleted on dispose.
public sealed class GitServer : IAsyncDisposable
{
    private readonly Process _daemon;
    private readonly WebApplication _http;
    private readonly List<string> _authorizations = [];
    private readonly StringBuilder _sshLog = new();
    private Process? _sshd;
    private string? _sshDir;

    private GitServer(string root, string address, int daemonPort, Process daemon, WebApplication http, int httpPort)
    {
        Root = root;
        Address = address;
        DaemonPort = daemonPort;
        _daemon = daemon;
        _http = http;
        HttpPort = httpPort;
    }

    public string Root { get; }

    public string Address { get; }

    public int DaemonPort { get; }

    public int HttpPort { get; }

    // The user and token the HTTP endpoint accepts.
    public string HttpUser { get; set; } = "git-user";

    public string HttpToken { get; set; } = "";

    // Authorization headers the HTTP endpoint received, in order (for asserting how the token came).
    public IReadOnlyList<string> Authorizations
    {
        get
        {
            lock (_authorizations)
            {
                return [.. _authorizations];
            }
        }
    }

    public static async Task<GitServer> StartAsync(string address)
    {
        var root = Directory.CreateTempSubdirectory("git-server-").FullName;
        var daemonPort = FreePort(address);
        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "daemon", "--reuseaddr", "--export-all", $"--base-path={root}", $"--listen={address}", $"--port={daemonPort}", "--informative-errors", root })
        {
            info.ArgumentList.Add(arg);
        }

        var daemon = Process.Start(info)!;
        daemon.BeginErrorReadLine();
        daemon.BeginOutputReadLine();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse(address), 0));
        var http = builder.Build();
        GitServer? server = null;
        http.Run(context => server!.ServeAsync(context));
        await http.StartAsync();
        var httpPort = new Uri(http.Urls.First()).Port;
        server = new GitServer(root, address, daemonPort, daemon, http, httpPort);
        await server.WaitForDaemonAsync();
        return server;
    }

    public string GitUrl(string repository) => $"git://{Address}:{DaemonPort}/{repository}.git";

    // SSH (after StartSshAsync): the port, the user keys log in as (root runs it as root, with
    // PermitRootLogin prohibit-password; anyone else as themselves), and the host's public key
    // as one known_hosts line and as ssh-keygen prints its fingerprint.
    public int SshPort { get; private set; }

    public string SshUser { get; } = Environment.UserName;

    public string SshKnownHosts { get; private set; } = "";

    public string SshHostKeyFingerprint { get; private set; } = "";

    // What sshd logged (-e), for diagnosing a failing test.
    public string SshLog
    {
        get
        {
            lock (_sshLog)
            {
                return _sshLog.ToString();
            }
        }
    }

    public string SshUrl(string repository) => $"ssh://{SshUser}@{Address}:{SshPort}{Root}/{repository}.git";

    // The scp-like spelling; brackets are git's way to give it a port.
    public string ScpUrl(string repository) => $"[{SshUser}@{Address}:{SshPort}]:{Root}/{repository}.git";

    // Starts sshd on a free port with a new ed25519 host key. As root, sshd insists on its
    // privilege separation directory /run/sshd: when the system has none, sshd runs in a private
    // mount namespace (unshare -m) with a tmpfs on /run holding it, so nothing is created on the
    // host. unshare and sh exec, so the process started here IS sshd (stopped by its pid).
    public async Task StartSshAsync()
    {
        _sshDir ??= Directory.CreateTempSubdirectory("git-sshd-").FullName;
        SshPort = SshPort == 0 ? FreePort(Address) : SshPort;
        await File.WriteAllTextAsync(Path.Combine(_sshDir, "authorized_keys"), "");
        await NewHostKeyAsync();
        await File.WriteAllTextAsync(Path.Combine(_sshDir, "sshd_config"), string.Join('\n',
            $"ListenAddress {Address}:{SshPort}",
            $"HostKey {_sshDir}/host_ed25519",
            $"AuthorizedKeysFile {_sshDir}/authorized_keys",
            "PidFile none",
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "UseDNS no",
            "AcceptEnv GIT_PROTOCOL",
            "LogLevel VERBOSE",
            "") + "\n");
        await RunSshdAsync();
    }

    // Lets `publicKey` (an authorized_keys line) log in; sshd reads the file on every login.
    public Task AuthorizeSshKeyAsync(string publicKey) =>
        File.AppendAllTextAsync(Path.Combine(_sshDir ?? throw new InvalidOperationException("StartSshAsync first"), "authorized_keys"), publicKey.Trim() + "\n");

    // The server gets a new host key (as after a reinstall, or as an impostor would show): sshd
    // is restarted on the same port.
    public async Task ChangeSshHostKeyAsync()
    {
        await StopSshdAsync();
        await NewHostKeyAsync();
        await RunSshdAsync();
    }

    // A new ed25519 key pair made by ssh-keygen: the private key file's text (OpenSSH format) and
    // the public key line. With a passphrase, the private key is encrypted with it.
    public static async Task<(string PrivateKey, string PublicKey)> NewSshKeyAsync(string passphrase = "", string type = "ed25519", string format = "")
    {
        var dir = Directory.CreateTempSubdirectory("ssh-key-").FullName;
        try
        {
            var file = Path.Combine(dir, "key");
            string[] args = ["-q", "-t", type, "-N", passphrase, "-C", "test-deploy-key", "-f", file, .. format.Length > 0 ? new[] { "-m", format } : []];
            var result = await ProcessRunner.RunAsync("ssh-keygen", args, TimeSpan.FromMinutes(1));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"ssh-keygen failed: {result}");
            }

            return (await File.ReadAllTextAsync(file), (await File.ReadAllTextAsync(file + ".pub")).Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public string HttpUrl(string repository) => $"http://{Address}:{HttpPort}/{repository}.git";

    // Commits `files` (path -> content, mode) as the whole tree of `branch` in `repository`
    // (created when new), optionally tags it, and returns the commit SHA.
    public async Task<string> CommitAsync(string repository, string branch, IReadOnlyDictionary<string, (byte[] Content, UnixFileMode? Mode)> files, string? tag = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var bare = Path.Combine(Root, repository + ".git");
        if (!Directory.Exists(bare))
        {
            await GitAsync(Root, "init", "-q", "--bare", bare);
            await GitAsync(bare, "symbolic-ref", "HEAD", $"refs/heads/{branch}");
        }

        var work = Directory.CreateTempSubdirectory("git-work-").FullName;
        try
        {
            await GitAsync(work, "init", "-q", "-b", branch);
            foreach (var (path, (content, mode)) in files)
            {
                var full = Path.Combine(work, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllBytesAsync(full, content);
                if (mode is { } m)
                {
                    File.SetUnixFileMode(full, m);
                }
            }

            await GitAsync(work, "add", "-A");
            await GitAsync(work, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", $"commit on {branch}");
            var sha = (await GitAsync(work, "rev-parse", "HEAD")).Trim();
            await GitAsync(work, "push", "-q", "--force", bare, $"HEAD:refs/heads/{branch}");
            if (tag is not null)
            {
                await GitAsync(work, "push", "-q", "--force", bare, $"HEAD:refs/tags/{tag}");
            }

            return sha;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public static IReadOnlyDictionary<string, (byte[] Content, UnixFileMode? Mode)> Files(params (string Path, string Text)[] files) =>
        files.ToDictionary(f => f.Path, f => (Encoding.UTF8.GetBytes(f.Text), (UnixFileMode?)null));

    public async ValueTask DisposeAsync()
    {
        await StopSshdAsync();
        if (_sshDir is not null)
        {
            Directory.Delete(_sshDir, recursive: true);
        }

        await _http.StopAsync();
        await _http.DisposeAsync();
        if (!_daemon.HasExited)
        {
            _daemon.Kill(entireProcessTree: true);
            await _daemon.WaitForExitAsync();
        }

        _daemon.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private async Task NewHostKeyAsync()
    {
        var key = Path.Combine(_sshDir!, "host_ed25519");
        File.Delete(key);
        File.Delete(key + ".pub");
        var made = await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test-host", "-f", key], TimeSpan.FromMinutes(1));
        if (made.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-keygen failed: {made}");
        }

        var fields = (await File.ReadAllTextAsync(key + ".pub")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        SshKnownHosts = $"[{Address}]:{SshPort} {fields[0]} {fields[1]}\n";
        SshHostKeyFingerprint = "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(fields[1]))).TrimEnd('=');
    }

    private async Task RunSshdAsync()
    {
        const string Sshd = "/usr/sbin/sshd";
        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException($"{Sshd} is missing: apt-get install openssh-server (only the binary is used; no system sshd is started)");
        }

        var config = Path.Combine(_sshDir!, "sshd_config");
        var info = new ProcessStartInfo(Environment.UserName == "root" && !Directory.Exists("/run/sshd") ? "unshare" : Sshd)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        string[] args = info.FileName == Sshd
            ? ["-D", "-e", "-f", config]
            : ["-m", "sh", "-c", "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec \"$0\" -D -e -f \"$1\"", Sshd, config];
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var sshd = new Process { StartInfo = info };
        sshd.ErrorDataReceived += (_, e) => AppendSshLog(e.Data);
        sshd.OutputDataReceived += (_, e) => AppendSshLog(e.Data);
        sshd.Start();
        sshd.BeginErrorReadLine();
        sshd.BeginOutputReadLine();
        _sshd = sshd;
        for (var i = 0; i < 100; i++)
        {
            if (sshd.HasExited)
            {
                break;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Parse(Address), SshPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new InvalidOperationException($"sshd did not listen on {Address}:{SshPort}:\n{SshLog}");
    }

    private async Task StopSshdAsync()
    {
        if (_sshd is null)
        {
            return;
        }

        if (!_sshd.HasExited)
        {
            _sshd.Kill(entireProcessTree: true);
            await _sshd.WaitForExitAsync();
        }

        _sshd.Dispose();
        _sshd = null;
    }

    private void AppendSshLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_sshLog)
        {
            _sshLog.AppendLine(line);
        }
    }

    private static int FreePort(string address)
    {
        using var probe = new TcpListener(IPAddress.Parse(address), 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task WaitForDaemonAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Parse(Address), DaemonPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new InvalidOperationException($"git daemon did not listen on {Address}:{DaemonPort}");
    }

    private static async Task<string> GitAsync(string dir, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", ["-C", dir, .. args], TimeSpan.FromMinutes(1), new Dictionary<string, string> { ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = dir });
        return result.ExitCode == 0 ? result.Output : throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result}");
    }

    // Smart HTTP: basic auth, then CGI to git http-backend.
    private async Task ServeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        lock (_authorizations)
        {
            _authorizations.Add(header);
        }

        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{HttpUser}:{HttpToken}"));
        if (HttpToken.Length == 0 || header != expected)
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }

        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("http-backend");
        info.Environment["GIT_PROJECT_ROOT"] = Root;
        info.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        info.Environment["REQUEST_METHOD"] = context.Request.Method;
        info.Environment["PATH_INFO"] = context.Request.Path.Value ?? "/";
        info.Environment["QUERY_STRING"] = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "";
        info.Environment["CONTENT_TYPE"] = context.Request.ContentType ?? "";
        info.Environment["REMOTE_USER"] = HttpUser;
        info.Environment["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "";
        if (context.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            info.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        if (context.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            info.Environment["GIT_PROTOCOL"] = protocol;
        }

        using var cgi = Process.Start(info)!;
        var stderr = cgi.StandardError.ReadToEndAsync();
        await context.Request.Body.CopyToAsync(cgi.StandardInput.BaseStream);
        cgi.StandardInput.Close();
        var output = new MemoryStream();
        await cgi.StandardOutput.BaseStream.CopyToAsync(output);
        await cgi.WaitForExitAsync();
        await stderr;
        var bytes = output.ToArray();
        var split = IndexOf(bytes, "\r\n\r\n"u8.ToArray(), out var separator);
        var head = Encoding.ASCII.GetString(bytes, 0, Math.Max(split, 0));
        foreach (var line in head.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains(':', StringComparison.Ordinal)))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (key, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (key.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                context.Response.Headers[key] = value;
            }
        }

        var body = split < 0 ? bytes : bytes[(split + separator)..];
        await context.Response.Body.WriteAsync(body);
    }

    private static int IndexOf(byte[] data, byte[] pattern, out int length)
    {
        length = pattern.Length;
        for (var i = 0; i <= data.Length - pattern.Length; i++)
        {
            if (data.AsSpan(i, pattern.Length).SequenceEqual(pattern))
            {
                return i;
            }
        }

        var lf = "\n\n"u8.ToArray();
        length = lf.Length;
        for (var i = 0; i <= data.Length - lf.Length; i++)
        {
            if (data.AsSpan(i, lf.Length).SequenceEqual(lf))
            {
                return i;
            }
        }

        return -1;
    }
}
