using P2PShare.Engine;
using P2PShare.Protocol;

namespace P2PShare.Tests.Engine;

/// <summary>The count of wanted pieces not had yet, taken once per verified piece: the same as counting bit by bit.</summary>
public class WantedCountTests
{
    [Test]
    public void Missing_wanted_pieces_match_a_bit_by_bit_count()
    {
        var random = new Random(11);
        foreach (var length in new[] { 1, 7, 8, 9, 63, 64, 65, 100, 257, 1000 })
        {
            for (var round = 0; round < 20; round++)
            {
                var wanted = new Bitfield(length);
                var have = new Bitfield(length);
                var allWanted = round % 4 == 0;
                for (var i = 0; i < length; i++)
                {
                    wanted[i] = allWanted || random.Next(3) != 0;
                    have[i] = random.Next(2) == 0;
                }
                var expected = Enumerable.Range(0, length).Count(i => wanted[i] && !have[i]);
                Assert.That(TorrentSession.CountMissing(wanted, have), Is.EqualTo(expected), $"{length} pieces, round {round}");
            }
        }
    }
}
