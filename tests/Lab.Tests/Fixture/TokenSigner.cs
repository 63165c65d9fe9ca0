using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Cluster.Lab.Tests.Fixture;

// Signs JWTs the way distribution's token auth verifies them: RS256, with the signing
// certificate (DER, base64) in the x5c header; the registry checks that certificate against its
// rootcertbundle (the same file), then iss, aud, nbf/exp and the access claim.
public sealed class TokenSigner : IDisposable
{
    private readonly RSA _key;
    private readonly string _x5c;

    public TokenSigner(string keyPemFile, string certPemFile)
    {
        _key = RSA.Create();
        _key.ImportFromPem(File.ReadAllText(keyPemFile));
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(certPemFile));
        _x5c = Convert.ToBase64String(cert.RawData);
    }

    public string Sign(object claims)
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new[] { _x5c },
        }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signingInput = header + "." + payload;
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
