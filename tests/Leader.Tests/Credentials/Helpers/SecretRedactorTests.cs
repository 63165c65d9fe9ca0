using Cluster.Leader.Credentials.Helpers;

namespace Cluster.Leader.Tests.Credentials.Helpers;

public sealed class SecretRedactorTests
{
    [Fact]
    public void Redact_KnownSecretsAndTokenLikeRuns_AreReplacedHostsKept()
    {
        var awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        var text = $"error: key {awsSecret} with AKIAEXAMPLE1234 for 123456789012.dkr.ecr.us-east-1.amazonaws.com, token eyJhbGciOiJSUzI1NiJ9abcdefghijklmnopqrstuvwxyz0123.eyJ4Ijp9 and pw-42";

        var redacted = SecretRedactor.Redact(text, ["AKIAEXAMPLE1234", "pw-42", null, "x"]);

        Assert.DoesNotContain(awsSecret, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLE1234", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-42", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJhbGciOiJSUzI1NiJ9abcdefghijklmnopqrstuvwxyz0123", redacted, StringComparison.Ordinal);
        Assert.Contains("123456789012.dkr.ecr.us-east-1.amazonaws.com", redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mark, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_LongMultiLineText_IsOneCappedLine()
    {
        var redacted = SecretRedactor.Redact(string.Join("\n", Enumerable.Repeat("line of helper noise", 500)), []);

        Assert.DoesNotContain('\n', redacted);
        Assert.True(redacted.Length <= SecretRedactor.MaxChars + 1);
    }

    [Fact]
    public void Redact_LongText_KeepsItsStartAndItsEnd()
    {
        // A helper prints its error last, after however much noise: the capped text keeps its
        // end (the stderr ChildProcess keeps is its start and its end, for the same reason).
        var text = "helper starting\n" + string.Join("\n", Enumerable.Repeat("line of helper noise", 500)) + "\nerror: the real reason";

        var redacted = SecretRedactor.Redact(text, []);

        Assert.StartsWith("helper starting", redacted, StringComparison.Ordinal);
        Assert.EndsWith("error: the real reason", redacted, StringComparison.Ordinal);
        Assert.Contains(" … ", redacted, StringComparison.Ordinal);
        Assert.True(redacted.Length <= SecretRedactor.MaxChars + 1, $"{redacted.Length} chars");
    }
}
