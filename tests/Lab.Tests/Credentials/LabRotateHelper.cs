using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Credentials;

// docker-credential-labrotate, a real credential helper for the lab's htpasswd registry: each
// call makes a NEW user and random password in the registry's htpasswd and prints them (the
// credential-helper protocol), and drops the user of two calls before, so the registry accepts
// only the two newest tokens: after one refresh period an old token stops working, as a
// provider's tokens expire. Files in its state dir switch it into failure modes: `fail` (exit
// 1 with a message on stderr that also quotes its environment's secret), `garbage` (non-JSON on
// stdout), `hang` (never answers). Installed into a temp dir that the test puts first on the
// leader's PATH.
public sealed class LabRotateHelper : IDisposable
{
    public const string EnvSecret = "labrotate-env-secret-4b1d9e";

    private readonly string _htpasswd;

    private LabRotateHelper(string dir, string userPrefix, string htpasswd)
    {
        Dir = dir;
        UserPrefix = userPrefix;
        _htpasswd = htpasswd;
    }

    public string Dir { get; }

    public string BinDir => Path.Combine(Dir, "bin");

    public string StateDir => Path.Combine(Dir, "state");

    public string UserPrefix { get; }

    // What the leader needs to find it: the test dir first, then the usual PATH.
    public IReadOnlyDictionary<string, string> LeaderEnvironment => new Dictionary<string, string>
    {
        ["PATH"] = $"{BinDir}:{Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"}",
    };

    // Every token it has handed out so far (for the leak scans).
    public IReadOnlyList<string> Tokens =>
        Directory.GetFiles(StateDir, "pw-*").Select(f => File.ReadAllText(f).Trim()).ToList();

    public int Calls => File.Exists(Path.Combine(StateDir, "n")) ? int.Parse(File.ReadAllText(Path.Combine(StateDir, "n")).Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;

    public static LabRotateHelper Install(LabEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var dir = Directory.CreateTempSubdirectory("cluster-labrotate-").FullName;
        var helper = new LabRotateHelper(dir, "rot" + Guid.NewGuid().ToString("N")[..8] + "-", env.RegistryHtpasswd);
        Directory.CreateDirectory(helper.BinDir);
        Directory.CreateDirectory(helper.StateDir);
        var script = Path.Combine(helper.BinDir, "docker-credential-labrotate");
        File.WriteAllText(script, $$"""
            #!/bin/sh
            # docker-credential-labrotate get: a new registry user and password per call (test helper).
            state='{{helper.StateDir}}'
            htpasswd_file='{{env.RegistryHtpasswd}}'
            prefix='{{helper.UserPrefix}}'
            [ "$1" = get ] || { echo "usage: $0 get" >&2; exit 2; }
            if [ -e "$state/fail" ]; then echo "labrotate: token service unavailable (key $LABROTATE_KEY)" >&2; exit 1; fi
            if [ -e "$state/garbage" ]; then echo "Secret is labrotate-garbage-output"; exit 0; fi
            if [ -e "$state/hang" ]; then sleep 600; fi
            read -r server || true
            n=$(( $(cat "$state/n" 2>/dev/null || echo 0) + 1 ))
            pw="lr-$n-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
            printf '%s\n' "$pw" | htpasswd -iB "$htpasswd_file" "$prefix$n" >/dev/null 2>&1 || { echo "labrotate: htpasswd failed" >&2; exit 1; }
            if [ "$n" -gt 2 ]; then htpasswd -D "$htpasswd_file" "$prefix$((n-2))" >/dev/null 2>&1; fi
            echo "$n" > "$state/n"
            echo "$pw" > "$state/pw-$n"
            printf '{"ServerURL":"%s","Username":"%s%s","Secret":"%s"}' "$server" "$prefix" "$n" "$pw"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return helper;
    }

    public void Mode(string? mode)
    {
        foreach (var m in new[] { "fail", "garbage", "hang" })
        {
            File.Delete(Path.Combine(StateDir, m));
        }

        if (mode is not null)
        {
            File.WriteAllText(Path.Combine(StateDir, mode), "");
        }
    }

    // Removes the users it made from the shared htpasswd file, then its files.
    public void Dispose()
    {
        for (var n = Math.Max(1, Calls - 2); n <= Calls; n++)
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("htpasswd", ["-D", _htpasswd, UserPrefix + n]) { RedirectStandardOutput = true, RedirectStandardError = true });
            p?.WaitForExit(10_000);
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
