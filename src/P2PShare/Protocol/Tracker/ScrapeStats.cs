namespace P2PShare.Protocol.Tracker;

/// <summary>One torrent's scrape counts: seeders ('complete'), snatches ('downloaded'), leechers ('incomplete').</summary>
internal sealed record ScrapeStats(int Seeders, int Completed, int Leechers);
