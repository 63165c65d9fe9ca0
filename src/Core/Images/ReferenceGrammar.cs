namespace Cluster.Core.Images;

// Recognisers for the productions of Docker's image reference grammar, as defined by
// github.com/distribution/reference (regexp.go) and github.com/opencontainers/go-digest.
// Each recogniser is a single forward pass over its input (no regex, no backtracking), so a
// hostile 10k-character reference costs microseconds. Every "...Problem" method returns null
// when its input belongs to the production and otherwise a short plain-words reason; callers
// decide validity only by comparing against null, so the reasons can never change what is
// accepted.
internal static class ReferenceGrammar
{
    // distribution/reference RepositoryNameTotalLengthMax. Since v0.6.0 it bounds the path only
    // (the part after the registry host), measured after "library/" has been added.
    public const int MaxPathLength = 255;

    // tag := [\w][\w.-]{0,127}
    public const int MaxTagLength = 128;

    // reference-level digest-hex := [0-9a-fA-F]{32,} (at least 128 bits)
    public const int MinDigestHexLength = 32;

    public const string TagRule =
        "must be at most 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'";

    private const string PathRule =
        "path components may contain only lowercase letters, digits and the separators '.', '_', '__' or a run of '-', " +
        "and must start and end with a letter or digit";

    public static bool IsLowerAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsLowerHex(char c) => c is (>= 'a' and <= 'f') or (>= '0' and <= '9');

    // identifier := [a-f0-9]{64}; Docker refuses such a string as a repository name because it is
    // indistinguishable from an image ID.
    public static bool IsHexIdentifier(ReadOnlySpan<char> s)
    {
        if (s.Length != 64)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!IsLowerHex(c))
            {
                return false;
            }
        }

        return true;
    }

    // path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    public static string? PathComponentProblem(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return "it contains an empty path component (a leading, trailing or doubled '/')";
        }

        int i = 0;
        while (true)
        {
            int runStart = i;
            while (i < s.Length && IsLowerAlphanumeric(s[i]))
            {
                i++;
            }

            if (i == runStart)
            {
                // Either the component starts with a non-alphanumeric or a separator is not
                // followed by one.
                if (i < s.Length && char.IsAsciiLetterUpper(s[i]))
                {
                    return $"path component \"{MessageText.Quote(s)}\" must be lowercase";
                }

                if (i < s.Length && !IsSeparatorChar(s[i]))
                {
                    return $"character {MessageText.DescribeChar(s[i])} is not allowed in path component \"{MessageText.Quote(s)}\"; {PathRule}";
                }

                return i == 0 || i == s.Length
                    ? $"path component \"{MessageText.Quote(s)}\" must start and end with a lowercase letter or digit"
                    : $"path component \"{MessageText.Quote(s)}\" has an invalid run of separators; {PathRule}";
            }

            if (i == s.Length)
            {
                return null;
            }

            switch (s[i])
            {
                case '.':
                    i++;
                    break;
                case '_':
                    i++;
                    if (i < s.Length && s[i] == '_')
                    {
                        i++;
                    }

                    break;
                case '-':
                    while (i < s.Length && s[i] == '-')
                    {
                        i++;
                    }

                    break;
                default:
                    return char.IsAsciiLetterUpper(s[i])
                        ? $"path component \"{MessageText.Quote(s)}\" must be lowercase"
                        : $"character {MessageText.DescribeChar(s[i])} is not allowed in path component \"{MessageText.Quote(s)}\"; {PathRule}";
            }
        }
    }

    private static bool IsSeparatorChar(char c) => c is '.' or '_' or '-';

    // remote-name := path-component ( "/" path-component )*
    public static string? RemoteNameProblem(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return "repository name is missing";
        }

        while (true)
        {
            int slash = s.IndexOf('/');
            ReadOnlySpan<char> component = slash < 0 ? s : s[..slash];
            if (PathComponentProblem(component) is { } problem)
            {
                return problem;
            }

            if (slash < 0)
            {
                return null;
            }

            s = s[(slash + 1)..];
        }
    }

    public static bool IsRemoteName(ReadOnlySpan<char> s) => RemoteNameProblem(s) is null;

    // domain          := host [ ":" port-number ]
    // host            := domain-name | "[" [a-fA-F0-9:]+ "]"
    // domain-name     := domain-component ( "." domain-component )*
    // domain-component:= [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
    // port-number     := [0-9]+
    // Docker deliberately does not check that an IPv6 literal is well formed or that a port is
    // at most 65535; neither do we.
    public static string? DomainProblem(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return "the registry host is empty";
        }

        ReadOnlySpan<char> port;
        bool hasPort;
        if (s[0] == '[')
        {
            int close = s.IndexOf(']');
            if (close < 0)
            {
                return "an IPv6 address must be closed with ']'";
            }

            ReadOnlySpan<char> address = s[1..close];
            if (address.IsEmpty)
            {
                return "the IPv6 address between '[' and ']' is empty";
            }

            foreach (char c in address)
            {
                if (!char.IsAsciiHexDigit(c) && c != ':')
                {
                    return c == '%'
                        ? "IPv6 zone identifiers ('%...') are not allowed"
                        : $"character {MessageText.DescribeChar(c)} is not allowed in an IPv6 address (only hex digits and ':'; no zone or embedded IPv4)";
                }
            }

            ReadOnlySpan<char> rest = s[(close + 1)..];
            if (rest.IsEmpty)
            {
                return null;
            }

            if (rest[0] != ':')
            {
                return "the IPv6 address must be followed by ':port' or nothing";
            }

            port = rest[1..];
            hasPort = true;
        }
        else
        {
            int colon = s.IndexOf(':');
            if (colon >= 0 && s[(colon + 1)..].Contains(':'))
            {
                return "an IPv6 address must be enclosed in brackets, e.g. \"[fc00::1]:5000\"";
            }

            ReadOnlySpan<char> hostName = colon < 0 ? s : s[..colon];
            hasPort = colon >= 0;
            port = hasPort ? s[(colon + 1)..] : default;
            if (DomainNameProblem(hostName) is { } problem)
            {
                return problem;
            }
        }

        if (hasPort)
        {
            if (port.IsEmpty)
            {
                return "the port after ':' is empty";
            }

            foreach (char c in port)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return $"port \"{MessageText.Quote(port)}\" must be a number";
                }
            }
        }

        return null;
    }

    public static bool IsDomain(ReadOnlySpan<char> s) => DomainProblem(s) is null;

    private static string? DomainNameProblem(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return "the host name is empty";
        }

        while (true)
        {
            int dot = s.IndexOf('.');
            ReadOnlySpan<char> label = dot < 0 ? s : s[..dot];
            if (label.IsEmpty)
            {
                return "the host name has an empty label (a leading, trailing or doubled '.')";
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return $"character {MessageText.DescribeChar(c)} is not allowed in a host name (letters, digits, '-' and '.' only)";
                }
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"host name label \"{MessageText.Quote(label)}\" must not start or end with '-'";
            }

            if (dot < 0)
            {
                return null;
            }

            s = s[(dot + 1)..];
        }
    }

    // tag := [\w][\w.-]{0,127}   (\w is ASCII-only in Go: [0-9A-Za-z_])
    public static bool IsTag(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > MaxTagLength || !IsWordChar(s[0]))
        {
            return false;
        }

        foreach (char c in s[1..])
        {
            if (!IsWordChar(c) && c != '.' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    // The reference grammar's own digest production (stricter about the algorithm's shape and
    // laxer about the encoded part than go-digest; a digest must satisfy both):
    //   digest-algorithm := component ( [-_+.] component )*, component := [A-Za-z][A-Za-z0-9]*
    //   digest           := digest-algorithm ":" [0-9a-fA-F]{32,}
    public static bool IsReferenceDigestSyntax(ReadOnlySpan<char> s)
    {
        int colon = s.IndexOf(':');
        if (colon < 0 || !IsReferenceDigestAlgorithm(s[..colon]))
        {
            return false;
        }

        ReadOnlySpan<char> hex = s[(colon + 1)..];
        if (hex.Length < MinDigestHexLength)
        {
            return false;
        }

        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsReferenceDigestAlgorithm(ReadOnlySpan<char> s)
    {
        bool expectComponentStart = true;
        foreach (char c in s)
        {
            if (expectComponentStart)
            {
                if (!char.IsAsciiLetter(c))
                {
                    return false;
                }

                expectComponentStart = false;
            }
            else if (c is '-' or '_' or '+' or '.')
            {
                expectComponentStart = true;
            }
            else if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return !expectComponentStart;
    }

    // go-digest DigestRegexp for the algorithm: [a-z0-9]+([.+_-][a-z0-9]+)*
    public static bool IsGoDigestAlgorithm(ReadOnlySpan<char> s)
    {
        bool expectAlphanumeric = true;
        foreach (char c in s)
        {
            if (IsLowerAlphanumeric(c))
            {
                expectAlphanumeric = false;
            }
            else if (c is '.' or '+' or '_' or '-' && !expectAlphanumeric)
            {
                expectAlphanumeric = true;
            }
            else
            {
                return false;
            }
        }

        return !expectAlphanumeric;
    }

    // go-digest DigestRegexp for the encoded part: [a-zA-Z0-9=_-]+
    public static bool IsGoDigestEncoded(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('=' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    // Hex length of the algorithms go-digest v1.0.0 registers (the docker CLI links sha256 and
    // sha512, which also provides sha384). Any other algorithm is "unsupported".
    public static int RegisteredHexLength(ReadOnlySpan<char> algorithm) => algorithm switch
    {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => 0,
    };

    public static bool IsLowerHexString(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!IsLowerHex(c))
            {
                return false;
            }
        }

        return true;
    }
}
