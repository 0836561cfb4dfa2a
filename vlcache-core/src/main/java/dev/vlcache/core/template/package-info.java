/**
 * Chat templates of Hugging Face checkpoints and the messages they render.
 */
@NullMarked
package dev.vlcache.core.template;

import org.jspecify.annotations.NullMarked;
