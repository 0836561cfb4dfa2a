/**
 * Tokenization and prompt assembly: the checkpoint's tokenizer, image-token expansion, incremental decoding.
 */
@NullMarked
package dev.vlcache.core.tokenizer;

import org.jspecify.annotations.NullMarked;
