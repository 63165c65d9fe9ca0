using System.Globalization;

namespace Cluster.Core.Text;

// Durations as operators type them on command lines: "90" (seconds), "30s", "5m", "1h", "1h30m",
// "250ms". One parser for every flag so `--sync-interval 1m` means the same everywhere.
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text?.Trim() ?? "";
        if (s.Length == 0)
        {
            return false;
        }

        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var plain))
        {
            duration = TimeSpan.FromSeconds(plain);
            return plain <= TimeSpan.MaxValue.TotalSeconds / 2;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            double? seconds = s[unitStart..i] switch
            {
                "ms" => value / 1000,
                "s" => value,
                "m" => value * 60,
                "h" => value * 3600,
                "d" => value * 86400,
                _ => null,
            };
            if (seconds is null || seconds > 365 * 86400)
            {
                return false;
            }

            total += TimeSpan.FromSeconds(seconds.Value);
        }

        duration = total;
        return true;
    }

    // "45s", "5m", "1h30m": the shortest exact form, for messages and tables.
    public static string Format(TimeSpan duration)
    {
        if (duration.TotalSeconds < 1 && duration > TimeSpan.Zero)
        {
            return $"{duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms";
        }

        var seconds = (long)duration.TotalSeconds;
        var h = seconds / 3600;
        var m = seconds % 3600 / 60;
        var sec = seconds % 60;
        var text = (h > 0 ? $"{h}h" : "") + (m > 0 ? $"{m}m" : "") + (sec > 0 || seconds == 0 ? $"{sec}s" : "");
        return text;
    }
}
