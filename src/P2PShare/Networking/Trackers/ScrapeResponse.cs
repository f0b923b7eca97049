namespace P2PShare.Networking.Trackers;

/// <summary>Swarm counts from a scrape: seeders, completed downloads ever, leechers.</summary>
internal sealed record ScrapeResponse(int Seeders, int Completed, int Leechers);
