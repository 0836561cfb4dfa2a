package dev.vlcache.core.serving;

/**
 * One admitted request as the scheduler last saw it.
 *
 * @param id the request's id, from {@link BatchScheduler.Submission#id()}
 * @param state PREFILLING or DECODING
 * @param promptTokens prompt length, image tokens included
 * @param generatedTokens tokens generated so far
 * @param kvCacheBytes KV-cache bytes held
 * @param reservedKvBytes KV-cache bytes reserved in the pool (held plus room for the tokens still to come)
 * @param minLayerEntries fewest cache entries of any layer (compression gives layers different budgets)
 * @param maxLayerEntries most cache entries of any layer
 */
public record SequenceSnapshot(long id, String state, int promptTokens, int generatedTokens, long kvCacheBytes,
		long reservedKvBytes, int minLayerEntries, int maxLayerEntries) {
}
