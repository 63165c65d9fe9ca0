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
// demands HTTP basic auth (http://), for private ones. Both serve the same bare repositories
// under Root. Commit with CommitAsync. Everything is stopped (by pid) and deleted on dispose.
public sealed class GitServer : IAsyncDisposable
{
    private readonly Process _daemon;
    private readonly WebApplication _http;
    private readonly List<string> _authorizations = [];

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
