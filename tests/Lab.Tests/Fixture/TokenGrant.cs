namespace Cluster.Lab.Tests.Fixture;

// What a token-server user may do: the actions ("pull", "push", "delete", "*") on every
// repository whose name matches Pattern, where '*' matches any run of characters, '/' included
// ("*" is every repository, "team/*" everything under team/).
public sealed record TokenGrant(string Pattern, params string[] Actions)
{
    public static TokenGrant Pull(string pattern) => new(pattern, "pull");

    public static TokenGrant PullPush(string pattern) => new(pattern, "pull", "push");

    public bool Matches(string repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return Glob(Pattern, repository);
    }

    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        while (!pattern.IsEmpty)
        {
            if (pattern[0] == '*')
            {
                var rest = pattern[1..];
                for (var i = 0; i <= text.Length; i++)
                {
                    if (Glob(rest, text[i..]))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (text.IsEmpty || pattern[0] != text[0])
            {
                return false;
            }

            pattern = pattern[1..];
            text = text[1..];
        }

        return text.IsEmpty;
    }
}
