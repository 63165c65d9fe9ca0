using System.Runtime.InteropServices;

namespace Cluster.Cli.Connection;

// clusterctl trusts exactly one thing: the cluster CA pinned in the admin token (PinnedCa). It
// never asks the machine's trust store, yet on Linux .NET loads that store (OpenSSL's CA bundle
// and every file of /etc/ssl/certs, ~300 certificates parsed) on the first TLS handshake to build
// the chain it hands to the validation callback, whatever the chain policy says. That load was
// about two thirds of a `clusterctl node list`'s CPU time (#14: 116 ms of user time with it,
// 39 ms without, bench/Footprint). So before anything else runs, the process points OpenSSL's
// default locations (SSL_CERT_FILE, SSL_CERT_DIR, read by .NET through native getenv) at nothing.
// The variables are set natively because Environment.SetEnvironmentVariable does not reach the
// C environment on Unix. Trust decisions do not change: the pinned-CA check builds its own chain
// with custom root trust.
internal static partial class MachineTrustStore
{
    // A path that is never a file or directory: OpenSSL finds no certificates there.
    private const string Nothing = "/nonexistent/clusterctl-trusts-only-the-pinned-cluster-ca";

    public static void Ignore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        _ = SetEnv("SSL_CERT_FILE", Nothing, 1);
        _ = SetEnv("SSL_CERT_DIR", Nothing, 1);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
