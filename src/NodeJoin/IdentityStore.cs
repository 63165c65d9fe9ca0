using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Files;

namespace Cluster.NodeJoin;

// The node identity in the state dir: enrollment.id (this node's enrollment identity, random,
// made once), node.key (PKCS#8, 0600), node.crt, ca.crt (the leader's CA as the leader returned
// it, checked against the token's pin) and node.id. Nothing else lives there: credentials are
// held in memory only.
internal sealed class IdentityStore(string stateDir)
{
    public string KeyFile => Path.Combine(stateDir, "node.key");

    public string CertificateFile => Path.Combine(stateDir, "node.crt");

    public string CaFile => Path.Combine(stateDir, "ca.crt");

    public string NodeIdFile => Path.Combine(stateDir, "node.id");

    public string EnrollmentIdFile => Path.Combine(stateDir, "enrollment.id");

    // The id this node enrolls under: 128 random bits made at the first enrollment and kept for
    // good (deleting the certificate keeps it). Never derived from the machine or the engine, so
    // hosts cloned from one image (which share /etc/docker/key.json, hence the engine ID) stay
    // apart. A state dir copied between hosts copies it too; the leader then tells the copies
    // apart by their swarm node ids.
    public string EnrollmentId()
    {
        if (File.Exists(EnrollmentIdFile))
        {
            var stored = File.ReadAllText(EnrollmentIdFile).Trim();
            if (stored.Length is >= 16 and <= 64 && stored.All(char.IsAsciiHexDigitLower))
            {
                return stored;
            }
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(stateDir, PrivateFile.OwnerOnlyDirectory);
        PrivateFile.WriteText(EnrollmentIdFile, id + "\n");
        return id;
    }

    // False with the reason when there is no usable set of files. A key that does not match the
    // certificate (a crash between the writes of a re-join) counts as unreadable: join again.
    public bool TryLoad([NotNullWhen(true)] out NodeIdentity? identity, out IdentityVerdict? problem)
    {
        identity = null;
        problem = null;
        string[] files = [KeyFile, CertificateFile, CaFile, NodeIdFile];
        if (files.All(f => !File.Exists(f)))
        {
            problem = new(IdentityStatus.Missing, $"no node identity in {stateDir} yet");
            return false;
        }

        var missing = files.Where(f => !File.Exists(f)).Select(Path.GetFileName).ToList();
        if (missing.Count > 0)
        {
            problem = new(IdentityStatus.Unreadable, $"the node identity in {stateDir} is incomplete (missing {string.Join(", ", missing)})");
            return false;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile), File.ReadAllText(KeyFile));
            var ca = X509CertificateLoader.LoadCertificate(PemToDer(File.ReadAllText(CaFile)));
            var nodeId = File.ReadAllText(NodeIdFile).Trim();
            if (nodeId.Length == 0)
            {
                problem = new(IdentityStatus.Unreadable, $"{NodeIdFile} is empty");
                return false;
            }

            identity = new NodeIdentity(nodeId, certificate, ca);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            problem = new(IdentityStatus.Unreadable, $"the node identity in {stateDir} cannot be used ({e.Message})");
            return false;
        }
    }

    // The key is written first: a crash before the certificate follows leaves a pair that does
    // not match, which TryLoad reports as unreadable, and the next start joins again. Returns
    // the identity as read back from the files, so what the session uses is what a restart finds.
    public NodeIdentity Save(string nodeId, ECDsa key, byte[] certificateDer, byte[] caDer)
    {
        ArgumentNullException.ThrowIfNull(key);
        Directory.CreateDirectory(stateDir, PrivateFile.OwnerOnlyDirectory);
        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        using var ca = X509CertificateLoader.LoadCertificate(caDer);
        PrivateFile.WriteText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        PrivateFile.WriteText(CertificateFile, certificate.ExportCertificatePem());
        PrivateFile.WriteText(CaFile, ca.ExportCertificatePem());
        PrivateFile.WriteText(NodeIdFile, nodeId + "\n");
        return TryLoad(out var identity, out var problem)
            ? identity
            : throw new InvalidOperationException($"the node identity just written to {stateDir} cannot be read back: {problem!.Reason}");
    }

    public void Delete()
    {
        foreach (var file in new[] { CertificateFile, KeyFile, CaFile, NodeIdFile })
        {
            PrivateFile.Delete(file);
        }
    }

    private static byte[] PemToDer(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
