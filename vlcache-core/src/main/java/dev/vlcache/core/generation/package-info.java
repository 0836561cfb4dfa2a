/**
 * Generation: requests, sampling, stop conditions, streaming callbacks and the decode loop over the compressed
 * KV cache.
 */
@NullMarked
package dev.vlcache.core.generation;

import org.jspecify.annotations.NullMarked;
