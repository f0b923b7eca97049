using System.Text;

namespace P2PShare.Engine.Diagnosis;

/// <summary>Why a torrent is where it is: findings, most severe first. <see cref="Signature"/> changes when the causes do.</summary>
internal sealed record TorrentDiagnosis(DateTimeOffset At, IReadOnlyList<Finding> Findings)
{
    /// <summary>The codes in order: equal signatures mean the same causes (numbers in the messages may differ).</summary>
    public string Signature => string.Join(",", Findings.Select(f => f.Code));

    public bool Has(string code) => Findings.Any(f => f.Code == code);

    /// <summary>The findings on one line, for an error message.</summary>
    public string OneLine() => string.Join(" | ", Findings.Select(f => f.ToString()));

    /// <summary>One line per finding, its evidence indented below.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var finding in Findings)
        {
            text.Append(finding.Severity switch { FindingSeverity.Problem => "problem", FindingSeverity.Warning => "warning", _ => "info" })
                .Append(" [").Append(finding.Code).Append("] ").AppendLine(finding.Message);
            foreach (var line in finding.Evidence)
                text.Append("    - ").AppendLine(line);
        }
        return text.ToString().TrimEnd();
    }
}
