package org.capbus.dbus.driver;

import org.capbus.dbus.wire.MessageBuilder;

/**
 * The {@code a{sv}} of one Debug.Stats reply, appended to the reply as it is filled. The keys the D-Bus specification
 * defines are UINT32 in dbus-daemon, whose counters are 32-bit; capbus counts in longs, so a value past 2^32 - 1 is
 * reported as 2^32 - 1 rather than wrapped to a small number a tool would believe. Keys of capbus's own carry its
 * reverse-DNS prefix ({@link #EXTENSION_PREFIX}), so that they never clash with a key a later specification defines,
 * and may be UINT64.
 *
 * <p>Used by one driver call at a time on the event-loop thread.
 */
final class StatsDictionary {
    /** The namespace of keys capbus adds to those of the specification. */
    static final String EXTENSION_PREFIX = "org.capbus.Debug.Stats.";

    static final long UINT32_MAX = 0xFFFF_FFFFL;

    private final MessageBuilder reply;

    /** Opens the dictionary as the next value of {@code reply}. */
    StatsDictionary(MessageBuilder reply) {
        this.reply = reply.beginArray("{sv}");
    }

    /** {@code value} clamped to what a UINT32 can say. */
    static long saturatedUInt32(long value) {
        return value < 0 ? 0 : Math.min(value, UINT32_MAX);
    }

    StatsDictionary uint32(String key, long value) {
        reply.beginDictEntry().string(key).variantUInt32(saturatedUInt32(value)).endDictEntry();
        return this;
    }

    StatsDictionary uint64(String key, long value) {
        reply.beginDictEntry().string(key).beginVariant("t").uint64(value).endVariant().endDictEntry();
        return this;
    }

    StatsDictionary string(String key, String value) {
        reply.beginDictEntry().string(key).variantString(value).endDictEntry();
        return this;
    }

    /** Closes the dictionary and returns the reply, ready to send. */
    MessageBuilder end() {
        return reply.endArray();
    }
}
