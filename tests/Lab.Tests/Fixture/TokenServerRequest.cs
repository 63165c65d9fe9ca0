namespace Cluster.Lab.Tests.Fixture;

// One request the token server answered: who authenticated (null: anonymous, or the user name a
// failed login claimed), the account parameter, the scopes asked for, and the HTTP status sent.
public sealed record TokenServerRequest(string? User, string? Account, IReadOnlyList<string> Scopes, int Status, DateTimeOffset At);
