/**
 * Serving many requests with one model: a scheduler that runs every running request's decoding step in one
 * batched forward pass, interleaves the prefill of the next request piece by piece, and admits requests by the
 * bytes their KV caches need, so that memory freed by compression becomes room for more requests.
 */
@NullMarked
package dev.vlcache.core.serving;

import org.jspecify.annotations.NullMarked;
