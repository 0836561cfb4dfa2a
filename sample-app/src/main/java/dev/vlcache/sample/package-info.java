/**
 * The sample application: an HTTP API and a web page over the starter's {@code ChatModel}, on the embedded demo
 * model unless a checkpoint is configured.
 */
@NullMarked
package dev.vlcache.sample;

import org.jspecify.annotations.NullMarked;
