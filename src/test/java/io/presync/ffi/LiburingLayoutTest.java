package io.presync.ffi;

import io.presync.ffi.liburing.Liburing;
import io.presync.ffi.liburing.io_cqring_offsets;
import io.presync.ffi.liburing.io_sqring_offsets;
import io.presync.ffi.liburing.io_uring;
import io.presync.ffi.liburing.io_uring_cq;
import io.presync.ffi.liburing.io_uring_cqe;
import io.presync.ffi.liburing.io_uring_params;
import io.presync.ffi.liburing.io_uring_sq;
import io.presync.ffi.liburing.io_uring_sqe;
import io.presync.uring.CqeDescriptor;
import io.presync.uring.SqeDescriptor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every struct size, field offset and constant the Java side relies on, as gcc sees them through the
 * installed liburing headers (native/layout_probe.c), against the jextract-generated layouts and the
 * hand-written descriptors in io.presync.uring.
 */
class LiburingLayoutTest
{
    private static LayoutProbe probe;

    @BeforeAll
    static void runProbe() throws Exception
    {
        probe = LayoutProbe.run();
    }

    @Test
    void generatedLayoutsMatchTheCompiler()
    {
        final Map<String, GroupLayout> layouts = Map.of(
            "io_uring", io_uring.layout(),
            "io_uring_sq", io_uring_sq.layout(),
            "io_uring_cq", io_uring_cq.layout(),
            "io_uring_sqe", io_uring_sqe.layout(),
            "io_uring_cqe", io_uring_cqe.layout(),
            "io_uring_params", io_uring_params.layout(),
            "io_sqring_offsets", io_sqring_offsets.layout(),
            "io_cqring_offsets", io_cqring_offsets.layout());
        final List<String> mismatches = new ArrayList<>();
        int checkedFields = 0;
        for (final Map.Entry<String, GroupLayout> entry : layouts.entrySet())
        {
            final String struct = entry.getKey();
            final GroupLayout layout = entry.getValue();
            if (layout.byteSize() != probe.size(struct))
            {
                mismatches.add("sizeof " + struct + ": C " + probe.size(struct) + ", Java " + layout.byteSize());
            }
            final Map<String, LayoutProbe.Field> javaFields = new HashMap<>();
            flatten(layout, 0, "", javaFields);
            for (final Map.Entry<String, LayoutProbe.Field> c : probe.fields.entrySet())
            {
                if (!c.getKey().startsWith(struct + "."))
                {
                    continue;
                }
                final String name = c.getKey().substring(struct.length() + 1);
                final LayoutProbe.Field java = javaFields.get(name);
                checkedFields++;
                if (!c.getValue().equals(java))
                {
                    mismatches.add(c.getKey() + ": C " + c.getValue() + ", Java " + java);
                }
            }
        }
        assertEquals(List.of(), mismatches);
        // Every probed field except struct iovec's (hand-written in Ring, checked by RingLayoutTest).
        assertEquals(probe.fields.keySet().stream().filter(k -> !k.startsWith("iovec.")).count(), checkedFields);
        assertTrue(checkedFields > 70, "the probe covers the structs: " + checkedFields);
    }

    @Test
    void generatedAccessorOffsetsMatchTheCompiler()
    {
        // The accessors Ring uses to find the mapped rings.
        assertEquals(probe.field("io_uring.sq").offset(), io_uring.sq$offset());
        assertEquals(probe.field("io_uring.cq").offset(), io_uring.cq$offset());
        assertEquals(probe.field("io_uring.features").offset(), io_uring.features$offset());
        assertEquals(probe.field("io_uring_sq.khead").offset(), io_uring_sq.khead$offset());
        assertEquals(probe.field("io_uring_sq.ktail").offset(), io_uring_sq.ktail$offset());
        assertEquals(probe.field("io_uring_sq.array").offset(), io_uring_sq.array$offset());
        assertEquals(probe.field("io_uring_sq.sqes").offset(), io_uring_sq.sqes$offset());
        assertEquals(probe.field("io_uring_sq.sqe_head").offset(), io_uring_sq.sqe_head$offset());
        assertEquals(probe.field("io_uring_sq.sqe_tail").offset(), io_uring_sq.sqe_tail$offset());
        assertEquals(probe.field("io_uring_sq.ring_mask").offset(), io_uring_sq.ring_mask$offset());
        assertEquals(probe.field("io_uring_sq.ring_entries").offset(), io_uring_sq.ring_entries$offset());
        assertEquals(probe.field("io_uring_cq.khead").offset(), io_uring_cq.khead$offset());
        assertEquals(probe.field("io_uring_cq.ktail").offset(), io_uring_cq.ktail$offset());
        assertEquals(probe.field("io_uring_cq.cqes").offset(), io_uring_cq.cqes$offset());
        assertEquals(probe.field("io_uring_cq.ring_mask").offset(), io_uring_cq.ring_mask$offset());
        assertEquals(probe.field("io_uring_cq.ring_entries").offset(), io_uring_cq.ring_entries$offset());
        assertEquals(probe.field("io_uring_params.flags").offset(), io_uring_params.flags$offset());
    }

    @Test
    void sqeDescriptorMatchesTheCompiler()
    {
        assertEquals(probe.size("io_uring_sqe"), SqeDescriptor.SQE_BYTES);
        assertEquals(SqeDescriptor.SQE_BYTES, 1 << SqeDescriptor.SQE_SHIFT);
        final Map<String, Integer> offsets = Map.ofEntries(
            Map.entry("opcode", SqeDescriptor.OPCODE_OFFSET),
            Map.entry("flags", SqeDescriptor.FLAGS_OFFSET),
            Map.entry("ioprio", SqeDescriptor.IOPRIO_OFFSET),
            Map.entry("fd", SqeDescriptor.FD_OFFSET),
            Map.entry("off", SqeDescriptor.OFF_OFFSET),
            Map.entry("addr2", SqeDescriptor.OFF_OFFSET),
            Map.entry("addr", SqeDescriptor.ADDR_OFFSET),
            Map.entry("len", SqeDescriptor.LEN_OFFSET),
            Map.entry("rw_flags", SqeDescriptor.OP_FLAGS_OFFSET),
            Map.entry("fsync_flags", SqeDescriptor.OP_FLAGS_OFFSET),
            Map.entry("user_data", SqeDescriptor.USER_DATA_OFFSET),
            Map.entry("buf_index", SqeDescriptor.BUF_INDEX_OFFSET),
            Map.entry("personality", SqeDescriptor.PERSONALITY_OFFSET),
            Map.entry("splice_fd_in", SqeDescriptor.FILE_INDEX_OFFSET),
            Map.entry("file_index", SqeDescriptor.FILE_INDEX_OFFSET),
            Map.entry("addr3", SqeDescriptor.ADDR3_OFFSET),
            Map.entry("__pad2", SqeDescriptor.PAD2_OFFSET));
        for (final Map.Entry<String, Integer> e : offsets.entrySet())
        {
            assertEquals(probe.field("io_uring_sqe." + e.getKey()).offset(), (long)e.getValue(), e.getKey());
        }
        // The packed stores in SqeDescriptor.fill rely on these field sizes.
        assertEquals(1, probe.field("io_uring_sqe.opcode").size());
        assertEquals(1, probe.field("io_uring_sqe.flags").size());
        assertEquals(2, probe.field("io_uring_sqe.ioprio").size());
        assertEquals(4, probe.field("io_uring_sqe.fd").size());
        assertEquals(4, probe.field("io_uring_sqe.len").size());
        assertEquals(4, probe.field("io_uring_sqe.rw_flags").size());
        assertEquals(2, probe.field("io_uring_sqe.buf_index").size());
        assertEquals(2, probe.field("io_uring_sqe.personality").size());
        assertEquals(4, probe.field("io_uring_sqe.file_index").size());
        assertEquals(8, probe.field("io_uring_sqe.__pad2").size());
    }

    @Test
    void cqeDescriptorMatchesTheCompiler()
    {
        assertEquals(probe.size("io_uring_cqe"), CqeDescriptor.CQE_BYTES);
        assertEquals(CqeDescriptor.CQE_BYTES, 1 << CqeDescriptor.CQE_SHIFT);
        assertEquals(probe.field("io_uring_cqe.user_data").offset(), CqeDescriptor.USER_DATA_OFFSET);
        assertEquals(probe.field("io_uring_cqe.res").offset(), CqeDescriptor.RES_OFFSET);
        assertEquals(probe.field("io_uring_cqe.flags").offset(), CqeDescriptor.FLAGS_OFFSET);
    }

    @Test
    void constantsMatchTheCompiler()
    {
        final Map<String, Long> java = Map.ofEntries(
            Map.entry("IORING_OP_NOP", (long)SqeDescriptor.OP_NOP),
            Map.entry("IORING_OP_READV", (long)SqeDescriptor.OP_READV),
            Map.entry("IORING_OP_WRITEV", (long)SqeDescriptor.OP_WRITEV),
            Map.entry("IORING_OP_FSYNC", (long)SqeDescriptor.OP_FSYNC),
            Map.entry("IORING_OP_READ_FIXED", (long)SqeDescriptor.OP_READ_FIXED),
            Map.entry("IORING_OP_WRITE_FIXED", (long)SqeDescriptor.OP_WRITE_FIXED),
            Map.entry("IORING_OP_FALLOCATE", (long)SqeDescriptor.OP_FALLOCATE),
            Map.entry("IORING_OP_READ", (long)SqeDescriptor.OP_READ),
            Map.entry("IORING_OP_WRITE", (long)SqeDescriptor.OP_WRITE),
            Map.entry("IOSQE_FIXED_FILE", (long)SqeDescriptor.IOSQE_FIXED_FILE),
            Map.entry("IORING_FSYNC_DATASYNC", (long)SqeDescriptor.IORING_FSYNC_DATASYNC));
        for (final Map.Entry<String, Long> e : java.entrySet())
        {
            assertEquals(probe.constant(e.getKey()), e.getValue(), e.getKey());
        }
        // The generated constants too (this loads liburing.so.2).
        assertEquals(probe.constant("IORING_OP_NOP"), Liburing.IORING_OP_NOP());
        assertEquals(probe.constant("IORING_OP_READ"), Liburing.IORING_OP_READ());
        assertEquals(probe.constant("IORING_OP_WRITE"), Liburing.IORING_OP_WRITE());
        assertEquals(probe.constant("IORING_OP_READ_FIXED"), Liburing.IORING_OP_READ_FIXED());
        assertEquals(probe.constant("IORING_OP_WRITE_FIXED"), Liburing.IORING_OP_WRITE_FIXED());
        assertEquals(probe.constant("IORING_OP_FSYNC"), Liburing.IORING_OP_FSYNC());
        assertEquals(probe.constant("IORING_OP_FALLOCATE"), Liburing.IORING_OP_FALLOCATE());
        assertEquals(probe.constant("IOSQE_FIXED_FILE"), Liburing.IOSQE_FIXED_FILE());
        assertEquals(probe.constant("IORING_FSYNC_DATASYNC"), Liburing.IORING_FSYNC_DATASYNC());
        assertEquals(probe.constant("IORING_SETUP_CLAMP"), Liburing.IORING_SETUP_CLAMP());
        assertEquals(probe.constant("IORING_SETUP_SQE128"), Liburing.IORING_SETUP_SQE128());
        assertEquals(probe.constant("IORING_SETUP_CQE32"), Liburing.IORING_SETUP_CQE32());
        assertEquals(probe.constant("IORING_ENTER_GETEVENTS"), Liburing.IORING_ENTER_GETEVENTS());
    }

    @Test
    void bindingsFindEveryFunctionInLiburingSo2()
    {
        // Each generated function resolves its symbol lazily: taking its address forces the lookup.
        assertNotNull(Liburing.io_uring_queue_init_params$address());
        assertNotNull(Liburing.io_uring_queue_init$address());
        assertNotNull(Liburing.io_uring_queue_exit$address());
        assertNotNull(Liburing.io_uring_get_sqe$address());
        assertNotNull(Liburing.io_uring_submit$address());
        assertNotNull(Liburing.io_uring_submit_and_wait$address());
        assertNotNull(Liburing.io_uring_peek_batch_cqe$address());
        assertNotNull(Liburing.io_uring_wait_cqe_timeout$address());
        assertNotNull(Liburing.__io_uring_get_cqe$address());
        assertNotNull(Liburing.io_uring_enter$address());
        assertNotNull(Liburing.io_uring_register_buffers$address());
        assertNotNull(Liburing.io_uring_unregister_buffers$address());
        assertNotNull(Liburing.io_uring_register_files$address());
        assertNotNull(Liburing.io_uring_unregister_files$address());
    }

    /** Field name (nested named structs as "outer.inner", anonymous unions/structs flattened) to offset and size. */
    private static void flatten(final GroupLayout group, final long base, final String prefix,
        final Map<String, LayoutProbe.Field> out)
    {
        final List<MemoryLayout> members = group.memberLayouts();
        for (int i = 0; i < members.size(); i++)
        {
            final MemoryLayout member = members.get(i);
            final long offset = base + group.byteOffset(MemoryLayout.PathElement.groupElement((long)i));
            if (member.name().isEmpty())
            {
                continue; // padding
            }
            final String name = member.name().get();
            final boolean anonymous = name.startsWith("$anon$");
            if (!anonymous)
            {
                out.put(prefix + name, new LayoutProbe.Field(offset, member.byteSize()));
            }
            if (member instanceof GroupLayout nested)
            {
                flatten(nested, offset, anonymous ? prefix : prefix + name + ".", out);
            }
        }
    }
}
