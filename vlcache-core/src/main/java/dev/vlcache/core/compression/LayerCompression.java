package dev.vlcache.core.compression;

/**
 * One layer's line of the compression report.
 *
 * @param layer layer index
 * @param sparsity γ of the observed window, or NaN when the policy does not measure it
 * @param budget tokens kept after prefill
 * @param keptImageTokens kept entries that are image tokens
 * @param keptTextTokens kept entries that are text tokens
 */
public record LayerCompression(int layer, double sparsity, int budget, int keptImageTokens, int keptTextTokens) {
}
