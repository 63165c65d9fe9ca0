using System.Text;
using Cluster.Core.Images;
using Cluster.Leader.Credentials.Helpers;

namespace Cluster.Leader.Tests.Credentials.Helpers;

public sealed class TokenLifetimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ReadExpiry_Jwt_ReadsExp()
    {
        var exp = Now.AddHours(3).ToUnixTimeSeconds();
        var jwt = $"{B64Url("{\"alg\":\"RS256\"}")}.{B64Url($"{{\"sub\":\"x\",\"exp\":{exp}}}")}.c2lnbmF0dXJl";

        Assert.Equal(exp, TokenLifetime.ReadExpiry(jwt)!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public void ReadExpiry_EcrPassword_ReadsExpiration()
    {
        // The shape of an ECR password: base64 of a JSON envelope with "expiration" in unix seconds.
        var exp = Now.AddHours(12).ToUnixTimeSeconds();
        var password = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"payload\":\"abc\",\"datakey\":\"def\",\"version\":\"2\",\"type\":\"DATA_KEY\",\"expiration\":{exp}}}"));

        Assert.Equal(exp, TokenLifetime.ReadExpiry(password)!.Value.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("s3cret-password")]
    [InlineData("aGVsbG8gd29ybGQ=")]
    [InlineData("a.b.c")]
    [InlineData("eyJleHAiOiJzb29uIn0=")]
    public void ReadExpiry_OpaqueOrImplausible_IsNull(string secret) => Assert.Null(TokenLifetime.ReadExpiry(secret));

    [Theory]
    [InlineData(RegistryProvider.Ecr, 12)]
    [InlineData(RegistryProvider.Acr, 3)]
    [InlineData(RegistryProvider.Generic, 1)]
    public void Schedule_OpaqueToken_ProviderDefaultAndHalfLife(RegistryProvider provider, int hours)
    {
        var (expires, next) = TokenLifetime.Schedule("opaque", provider, TimeSpan.Zero, Now);

        Assert.Equal(Now.AddHours(hours), expires);
        Assert.Equal(Now.AddHours(hours / 2.0), next);
    }

    [Fact]
    public void Schedule_RefreshEvery_OverridesHalfLife()
    {
        var (expires, next) = TokenLifetime.Schedule("opaque", RegistryProvider.Ecr, TimeSpan.FromSeconds(5), Now);

        Assert.Equal(Now.AddHours(12), expires);
        Assert.Equal(Now.AddSeconds(5), next);
    }

    [Fact]
    public void Schedule_RefreshEveryLongerThanHalfOfAReadExpiry_IsCappedAtHalfLife()
    {
        var jwt = $"{B64Url("{}")}.{B64Url($"{{\"exp\":{Now.AddMinutes(10).ToUnixTimeSeconds()}}}")}.x";

        var (_, next) = TokenLifetime.Schedule(jwt, RegistryProvider.Generic, TimeSpan.FromHours(6), Now);

        Assert.Equal(Now.AddMinutes(5), next);
    }

    [Fact]
    public void Schedule_AlreadyExpiredToken_RetriesAfterTheMinimumNotAtOnce()
    {
        var jwt = $"{B64Url("{}")}.{B64Url($"{{\"exp\":{Now.AddMinutes(-10).ToUnixTimeSeconds()}}}")}.x";

        var (_, next) = TokenLifetime.Schedule(jwt, RegistryProvider.Generic, TimeSpan.Zero, Now);

        Assert.Equal(Now + HelperOptions.MinimumRefreshEvery, next);
    }

    [Fact]
    public void RetryDelay_DoublesUpToTheCapAndThePeriod()
    {
        var options = new HelperOptions();

        Assert.Equal(TimeSpan.FromSeconds(2), TokenLifetime.RetryDelay(1, options, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(4), TokenLifetime.RetryDelay(2, options, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(16), TokenLifetime.RetryDelay(4, options, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMinutes(5), TokenLifetime.RetryDelay(30, options, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(5), TokenLifetime.RetryDelay(30, options, TimeSpan.FromSeconds(5)));
    }

    private static string B64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
