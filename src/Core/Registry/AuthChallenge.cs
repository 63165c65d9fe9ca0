namespace Cluster.Core.Registry;

// One challenge of a WWW-Authenticate header (RFC 9110 section 11): a scheme ("Basic",
// "Bearer") with auth-params (realm, service, scope, error), or with a token68.
//
// Parse accepts what registries send in practice: several challenges in one header value and
// across several header lines, quoted values holding commas, spaces and backslash escapes,
// unquoted values, any case in schemes and parameter names, empty list elements. It never
// throws: junk is skipped, so a malformed header yields fewer challenges, not an exception.
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters, string? Token68 = null)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        var result = new List<AuthChallenge>();
        foreach (var value in headerValues)
        {
            result.AddRange(Parse(value));
        }

        return result;
    }

    public static IReadOnlyList<AuthChallenge> Parse(string? headerValue)
    {
        var result = new List<AuthChallenge>();
        if (string.IsNullOrEmpty(headerValue))
        {
            return result;
        }

        var s = headerValue;
        var i = 0;
        while (true)
        {
            SkipWhitespaceAndCommas(s, ref i);
            if (i >= s.Length)
            {
                break;
            }

            var scheme = ReadToken(s, ref i);
            if (scheme.Length == 0)
            {
                i++; // not a token character: skip it
                continue;
            }

            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? token68 = null;
            SkipSpaces(s, ref i);
            if (TryReadToken68(s, ref i, out var t68))
            {
                token68 = t68;
            }
            else
            {
                ReadParameters(s, ref i, parameters);
            }

            result.Add(new AuthChallenge(scheme, parameters, token68));
        }

        return result;
    }

    public override string ToString() =>
        Scheme + (Token68 is null ? string.Empty : " " + Token68) +
        (Parameters.Count == 0 ? string.Empty : " " + string.Join(",", Parameters.Select(p => $"{p.Key}=\"{p.Value}\"")));

    // auth-param *( OWS "," OWS auth-param ), stopping before the next challenge's scheme (a
    // token that is not followed by "=").
    private static void ReadParameters(string s, ref int i, Dictionary<string, string> parameters)
    {
        while (true)
        {
            var mark = i;
            SkipWhitespaceAndCommas(s, ref i);
            if (i >= s.Length)
            {
                return;
            }

            var name = ReadToken(s, ref i);
            if (name.Length == 0)
            {
                i++; // junk inside the parameter list: skip it
                continue;
            }

            var j = i;
            SkipSpaces(s, ref j);
            if (j >= s.Length || s[j] != '=')
            {
                i = mark; // a token without "=" starts the next challenge
                return;
            }

            i = j + 1;
            SkipSpaces(s, ref i);
            var value = i < s.Length && s[i] == '"' ? ReadQuoted(s, ref i) : ReadBareValue(s, ref i);
            parameters.TryAdd(name, value);
        }
    }

    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", and only when it is
    // the whole challenge body (followed by a comma or the end), e.g. "Negotiate YII=".
    private static bool TryReadToken68(string s, ref int i, out string token68)
    {
        var j = i;
        while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] is '-' or '.' or '_' or '~' or '+' or '/'))
        {
            j++;
        }

        if (j == i)
        {
            token68 = string.Empty;
            return false;
        }

        while (j < s.Length && s[j] == '=')
        {
            j++;
        }

        var k = j;
        SkipSpaces(s, ref k);
        if (k < s.Length && s[k] != ',')
        {
            token68 = string.Empty;
            return false;
        }

        token68 = s[i..j];
        i = k;
        return true;
    }

    private static string ReadQuoted(string s, ref int i)
    {
        var value = new System.Text.StringBuilder();
        i++; // opening quote
        while (i < s.Length)
        {
            var c = s[i++];
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\' && i < s.Length)
            {
                c = s[i++];
            }

            value.Append(c);
        }

        return value.ToString(); // unterminated: take the rest
    }

    // An unquoted value. The grammar says token, but servers send bare URLs as realms
    // (realm=https://host/token), so it runs to the next comma or whitespace.
    private static string ReadBareValue(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not (',' or ' ' or '\t'))
        {
            i++;
        }

        return s[start..i];
    }

    private static string ReadToken(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && IsTokenChar(s[i]))
        {
            i++;
        }

        return s[start..i];
    }

    // tchar of RFC 9110.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void SkipWhitespaceAndCommas(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or ',')
        {
            i++;
        }
    }
}
