using Cluster.Core.Credentials;
using Cluster.Leader.Credentials;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// Builds the assignment sets of the agent protocol from stored credentials.
public static class Assignments
{
    public static AssignmentSet Full(long revision, IEnumerable<(CredentialView Credential, string Secret)> credentials)
    {
        var set = new AssignmentSet { Type = AssignmentSet.Types.Type.Full, AppliesTo = 0, ResultsIn = (ulong)revision };
        set.Changes.AddRange(credentials.Select(c => Update(c.Credential, c.Secret)));
        return set;
    }

    public static AssignmentSet Incremental(long appliesTo, long resultsIn, Assignment? change)
    {
        var set = new AssignmentSet { Type = AssignmentSet.Types.Type.Incremental, AppliesTo = (ulong)appliesTo, ResultsIn = (ulong)resultsIn };
        if (change is not null)
        {
            set.Changes.Add(change);
        }

        return set;
    }

    public static Assignment Update(CredentialView credential, string secret)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new Assignment
        {
            Action = Assignment.Types.Action.Update,
            Credential = new PullCredential
            {
                Id = credential.Id,
                Name = credential.Name,
                Match = credential.Url,
                ServerAddress = ProviderRules.EngineServerAddress(CredentialService.HostOf(credential.Url)),
                Username = credential.Username,
                Secret = secret,
                Insecure = credential.Insecure,
                Revision = (ulong)credential.Revision,
            },
        };
    }

    public static Assignment Pin(ImagePin pin) => new() { Action = Assignment.Types.Action.Update, ImagePin = pin };

    public static Assignment Remove(string credentialId) => new()
    {
        Action = Assignment.Types.Action.Remove,
        Credential = new PullCredential { Id = credentialId },
    };
}
