using Cluster.Leader.Operations;

namespace Cluster.Leader.Agents;

// Size caps on everything a node sends (issue #9 item 6). Deny by default: a field over its cap
// is refused (OperationError.InvalidArgument; the call ends with INVALID_ARGUMENT) naming the
// field, instead of being stored, logged or shown; the whole message is capped below that by
// gRPC (MaxMessageBytes on the node-facing services). A well-behaved agent never reaches these: it reads ids from its engine and trims
// its own messages (Cluster.NodeAgent.Session.OutgoingLimits) to MaxTextChars.
public static class AgentLimits
{
    // Largest message a node may send the Dispatcher or Enrollment service.
    public const int MaxMessageBytes = 64 * 1024;

    public const int MaxCsrBytes = 8 * 1024;

    // DNS names are at most 253 characters.
    public const int MaxHostnameChars = 253;

    // Ids: enrollment ids (32 hex), swarm node ids (25), credential and order ids (32), image ids.
    public const int MaxIdChars = 128;

    // Versions, architecture, OS.
    public const int MaxShortChars = 64;

    // Human-readable text: check messages, each pull attempt, resync reasons, pull status.
    public const int MaxTextChars = 1024;

    // Pull attempts listed in one result (one per matching credential in the keyring).
    public const int MaxAttempts = 32;

    public static void RequireHostname(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0 || value.Length > MaxHostnameChars || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
        {
            throw Invalid("hostname", $"must be 1 to {MaxHostnameChars} letters, digits, '-', '.' or '_' (the engine's Name)");
        }
    }

    public static void RequireId(string field, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0 || !IsId(value))
        {
            throw Invalid(field, $"must be 1 to {MaxIdChars} letters, digits, '-', '.', '_' or ':'");
        }
    }

    // An optional id: empty is allowed.
    public static void CheckId(string field, string value)
    {
        if (value.Length > 0 && !IsId(value))
        {
            throw Invalid(field, $"must be at most {MaxIdChars} letters, digits, '-', '.', '_' or ':'");
        }
    }

    public static void CheckShort(string field, string value) => CheckLength(field, value, MaxShortChars);

    public static void CheckText(string field, string value) => CheckLength(field, value, MaxTextChars);

    public static void CheckCount(string field, int count, int max)
    {
        if (count > max)
        {
            throw Invalid(field, $"lists {count} entries; at most {max} are accepted");
        }
    }

    // Text from a node as it may be stored and printed: control characters (terminal escapes,
    // newlines that forge log lines) replaced by spaces.
    public static string Printable(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return string.Create(Math.Min(value.Length, MaxTextChars), value, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }

    private static bool IsId(string value) =>
        value.Length <= MaxIdChars && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or ':');

    private static void CheckLength(string field, string value, int max)
    {
        if (value.Length > max)
        {
            throw Invalid(field, $"is {value.Length} characters long; at most {max} are accepted");
        }
    }

    private static OperationException Invalid(string field, string rule) =>
        new(OperationError.InvalidArgument, $"{field} {rule}");
}
