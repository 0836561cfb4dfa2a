/**
 * The request-owned, per-layer KV cache: append in place, shrink by keeping selected entries.
 */
@NullMarked
package dev.vlcache.core.kv;

import org.jspecify.annotations.NullMarked;
