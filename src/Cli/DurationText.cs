using System.Globalization;
using System.Text.RegularExpressions;

namespace Cluster.Cli;

// DURATION arguments as INTERFACE.md writes them: 60s, 5m, 12h, 1h30m, 2d; a bare number is
// seconds. Anything else is refused with an example, never guessed.
internal static partial class DurationText
{
    public static TimeSpan Parse(string text, string option)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare) && bare >= 0)
        {
            return TimeSpan.FromSeconds(bare);
        }

        var match = Pattern().Match(trimmed);
        if (!match.Success || trimmed.Length == 0)
        {
            throw new CliException($"{option} '{text}' is not a duration: use e.g. 30s, 5m, 12h or 1h30m");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            var number = double.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
            total += unit switch
            {
                "d" => TimeSpan.FromDays(number),
                "h" => TimeSpan.FromHours(number),
                "m" => TimeSpan.FromMinutes(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                _ => TimeSpan.FromSeconds(number),
            };
        }

        return total;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|d|h|m|s))+$")]
    private static partial Regex Pattern();
}
