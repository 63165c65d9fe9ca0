using System.Diagnostics;

namespace Cluster.Core.Tests.Git;

// Real keys and known_hosts files from OpenSSH's own ssh-keygen, made in a temp dir and deleted.
internal static class SshKeygen
{
    // The private key file's text and the public key line.
    public static (string PrivateKey, string PublicKey) NewKey(string type = "ed25519", string passphrase = "", string format = "")
    {
        var dir = Directory.CreateTempSubdirectory("core-ssh-key-").FullName;
        try
        {
            var file = Path.Combine(dir, "key");
            Run(["-q", "-t", type, "-N", passphrase, "-C", "core-test", "-f", file, .. format.Length > 0 ? new[] { "-m", format } : []]);
            return (File.ReadAllText(file), File.ReadAllText(file + ".pub").Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // `ssh-keygen -l` of a public key line: "SHA256:...".
    public static string Fingerprint(string publicKey) => WithFile(publicKey, file => Run(["-l", "-E", "sha256", "-f", file]).Split(' ')[1]);

    // The known_hosts line "NAME type key" hashed by ssh-keygen -H.
    public static string Hashed(string line) => WithFile(line + "\n", file =>
    {
        Run(["-q", "-H", "-f", file]);
        return File.ReadAllText(file).Trim();
    });

    private static string WithFile(string content, Func<string, string> use)
    {
        var dir = Directory.CreateTempSubdirectory("core-ssh-file-").FullName;
        try
        {
            var file = Path.Combine(dir, "file");
            File.WriteAllText(file, content);
            return use(file);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string[] args)
    {
        var info = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"ssh-keygen {string.Join(' ', args)}: {error}");
    }
}
