package dev.vlcache.ai;

/**
 * Token counts of one response; the native usage of its {@code DefaultUsage}.
 *
 * @param promptTokens prompt tokens, image tokens included
 * @param imageTokens image tokens in the prompt
 * @param completionTokens generated tokens
 */
public record VlCacheUsage(int promptTokens, int imageTokens, int completionTokens) {
}
