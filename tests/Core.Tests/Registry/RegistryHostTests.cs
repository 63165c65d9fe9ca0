using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

public sealed class RegistryHostTests
{
    [Theory]
    [InlineData("ghcr.io", "ghcr.io")]
    [InlineData("  ghcr.io  ", "ghcr.io")]
    [InlineData("https://ghcr.io", "ghcr.io")]
    [InlineData("https://ghcr.io/", "ghcr.io")]
    [InlineData("HTTPS://ghcr.io/", "ghcr.io")]
    [InlineData("ghcr.io/acme/web", "ghcr.io")]
    [InlineData("https://registry.gitlab.com/group/project", "registry.gitlab.com")]
    [InlineData("10.77.0.254:5000", "10.77.0.254:5000")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("[fc00::1]", "[fc00::1]")]
    [InlineData("localhost:5000", "localhost:5000")]
    [InlineData("docker.io", "docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("my-registry.example.com:443", "my-registry.example.com:443")]
    public void Parse_AcceptedForms_GiveTheImageReferenceHost(string url, string host)
    {
        Assert.Equal(host, RegistryHost.Parse(url, insecure: false).Host);
    }

    [Theory]
    [InlineData("docker.io", "registry-1.docker.io")]
    [InlineData("index.docker.io", "registry-1.docker.io")]
    [InlineData("registry-1.docker.io", "registry-1.docker.io")]
    [InlineData("ghcr.io", "ghcr.io")]
    [InlineData("10.77.0.254:5000", "10.77.0.254:5000")]
    public void ApiHost_DockerHubNames_MapToRegistry1(string host, string apiHost)
    {
        Assert.Equal(apiHost, new RegistryHost(host, Insecure: false).ApiHost);
    }

    [Theory]
    [InlineData("ghcr.io", false, "https://ghcr.io/")]
    [InlineData("ghcr.io", true, "http://ghcr.io/")]
    [InlineData("docker.io", false, "https://registry-1.docker.io/")]
    [InlineData("10.0.0.5:5000", false, "https://10.0.0.5:5000/")]
    [InlineData("10.0.0.5:5000", true, "http://10.0.0.5:5000/")]
    [InlineData("127.0.0.1:5000", false, "http://127.0.0.1:5000/")]
    [InlineData("127.9.9.9:5000", false, "http://127.9.9.9:5000/")]
    [InlineData("localhost:5000", false, "http://localhost:5000/")]
    [InlineData("[::1]:5000", false, "http://[::1]:5000/")]
    [InlineData("[fc00::1]:5000", false, "https://[fc00::1]:5000/")]
    public void BaseUri_PlainHttpOnlyForInsecureOrLoopback(string host, bool insecure, string baseUri)
    {
        Assert.Equal(new Uri(baseUri), new RegistryHost(host, insecure).BaseUri);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST:80", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("128.0.0.1", false)]
    [InlineData("localhost.example.com", false)]
    [InlineData("[::2]:5000", false)]
    public void IsLoopback_OnlyLoopbackAddressesAndLocalhost(string host, bool loopback)
    {
        Assert.Equal(loopback, new RegistryHost(host, Insecure: false).IsLoopback);
    }

    [Fact]
    public void Parse_PlainHttpUrlWhenInsecure_IsAccepted()
    {
        var host = RegistryHost.Parse("http://10.77.0.254:5000", insecure: true);

        Assert.Equal(new RegistryHost("10.77.0.254:5000", Insecure: true), host);
    }

    [Fact]
    public void Parse_PlainHttpUrlOnLoopback_IsAccepted()
    {
        Assert.Equal("127.0.0.1:5000", RegistryHost.Parse("http://127.0.0.1:5000/", insecure: false).Host);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("ftp://ghcr.io", "scheme 'ftp'")]
    [InlineData("http://ghcr.io", "--insecure")]
    [InlineData("ghcr.io:99999", "not in 1..65535")]
    [InlineData("ghcr.io:0", "not in 1..65535")]
    [InlineData("ghcr.io:abc", "must be a number")]
    [InlineData("::1", "brackets")]
    [InlineData("[::zz]:5000", "")]
    [InlineData("ghcr io", "spaces")]
    [InlineData("ghcr.io?x=1", "query")]
    [InlineData("https://ghcr.io/a#frag", "query or fragment")]
    [InlineData("-bad-.example.com", "")]
    [InlineData("https://", "")]
    [InlineData("/just/a/path", "")]
    public void Parse_Junk_ThrowsFormatExceptionThatSaysWhy(string url, string because)
    {
        var error = Assert.Throws<FormatException>(() => RegistryHost.Parse(url, insecure: false));

        Assert.Contains(because, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://alice:s3cret-pw@ghcr.io/")]
    [InlineData("alice:s3cret-pw@ghcr.io")]
    public void Parse_UrlWithCredentials_RefusedWithoutEchoingThem(string url)
    {
        var error = Assert.Throws<FormatException>(() => RegistryHost.Parse(url, insecure: false));

        Assert.DoesNotContain("s3cret-pw", error.Message, StringComparison.Ordinal);
        Assert.Contains("user name or password", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://ghcr.io")]
    [InlineData("ghcr.io/acme")]
    [InlineData("a:b:c")]
    public void Constructor_InvalidHost_ThrowsArgumentException(string host)
    {
        Assert.ThrowsAny<ArgumentException>(() => new RegistryHost(host, Insecure: false));
    }

    [Fact]
    public void With_InvalidHost_IsValidatedToo()
    {
        var host = new RegistryHost("ghcr.io", Insecure: false);

        Assert.ThrowsAny<ArgumentException>(() => host with { Host = "not a host" });
    }

    [Fact]
    public void Equality_ParsedAndConstructed_AreEqual()
    {
        Assert.Equal(new RegistryHost("ghcr.io", Insecure: false), RegistryHost.Parse("https://ghcr.io/", insecure: false));
        Assert.NotEqual(new RegistryHost("ghcr.io", Insecure: true), RegistryHost.Parse("https://ghcr.io/", insecure: false));
    }
}
