package io.presync.btree;

import io.presync.RefusedException;
import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileRegionPageStoreTest
{
    private static final long REGION_START = 1L << 20;
    private static final long REGION_LENGTH = 16L << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void treeSurvivesFlushCloseAndReopenOnALoopDevice() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64L << 20);
        final Path device = loop.device();
        final TreeMap<Long, long[]> model = new TreeMap<>();
        final Random random = new Random(7);
        try (FileRegionPageStore store = FileRegionPageStore.create(device, REGION_START, REGION_LENGTH))
        {
            final BTree tree = BTree.create(store, 2);
            for (int i = 0; i < 60_000; i++)
            {
                final long key = random.nextInt(1_000_000);
                final long[] value = {random.nextLong(), i};
                model.put(key, value);
                tree.put(key, value);
            }
            for (int i = 0; i < 20_000; i++)
            {
                final long key = random.nextInt(1_000_000);
                assertEquals(model.remove(key) != null, tree.remove(key));
            }
            tree.checkInvariants();
            store.metaLong(0, tree.rootPageId());
            store.flush();
            assertEquals(tree.pageCount(), store.pagesInUse());
        }
        try (FileRegionPageStore store = FileRegionPageStore.open(device, REGION_START, REGION_LENGTH))
        {
            final BTree tree = BTree.open(store, store.metaLong(0), 2);
            assertEquals(model.size(), tree.size());
            assertEquals(tree.checkInvariants(), model.size());
            BTreeProperties.assertCursorFrom(model, tree.cursor(Long.MIN_VALUE + 1), Long.MIN_VALUE + 1, 2, Integer.MAX_VALUE);
            assertEquals(tree.pageCount(), store.pagesInUse());

            // Keep changing it: freed pages are reused through the on-disk free list after a reopen.
            final long[] keys = model.keySet().stream().mapToLong(Long::longValue).toArray();
            for (int i = 0; i < keys.length; i++)
            {
                if (i % 3 != 0)
                {
                    assertTrue(tree.remove(keys[i]));
                    model.remove(keys[i]);
                }
            }
            tree.checkInvariants();
            assertTrue(store.freePages() > 0);
            for (int i = 0; i < 10_000; i++)
            {
                final long key = random.nextInt(1_000_000);
                final long[] value = {i, -i};
                model.put(key, value);
                tree.put(key, value);
            }
            store.metaLong(0, tree.rootPageId());
            store.flush();
        }
        try (FileRegionPageStore store = FileRegionPageStore.open(device, REGION_START, REGION_LENGTH))
        {
            final BTree tree = BTree.open(store, store.metaLong(0), 2);
            tree.checkInvariants();
            final long[] out = new long[2];
            for (final var e : model.entrySet())
            {
                assertTrue(tree.get(e.getKey(), out));
                assertArrayEquals(e.getValue(), out);
            }
            assertEquals(tree.pageCount(), store.pagesInUse());
        }
    }

    @Test
    void corruptedPageIsReportedByItsCrc() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64L << 20);
        final Path device = loop.device();
        final long victimKey = 50_001;
        final long victimPage;
        try (FileRegionPageStore store = FileRegionPageStore.create(device, REGION_START, REGION_LENGTH))
        {
            final BTree tree = BTree.create(store, 1);
            for (long key = 1; key <= 100_000; key += 2)
            {
                tree.put(key, key * 3);
            }
            final long leaf = TreeReads.findLeaf(store, tree.rootPageId(), victimKey);
            victimPage = PageDescriptor.MEMORY.get(PageDescriptor.LONG, leaf + PageDescriptor.PAGE_ID_OFFSET);
            store.metaLong(0, tree.rootPageId());
            store.flush();
        }
        // Flip bytes in the middle of that leaf underneath the store, through the block device.
        try (RandomAccessFile raw = new RandomAccessFile(device.toFile(), "rw"))
        {
            raw.seek(REGION_START + victimPage * PageStore.PAGE_BYTES + 1000);
            raw.write(new byte[] {1, 2, 3, 4});
            raw.getFD().sync();
        }
        try (FileRegionPageStore store = FileRegionPageStore.open(device, REGION_START, REGION_LENGTH))
        {
            final BTree tree = BTree.open(store, store.metaLong(0), 1);
            final long[] out = new long[1];
            assertTrue(tree.get(1, out)); // other leaves still read fine
            final CorruptPageException ex = assertThrows(CorruptPageException.class, () -> tree.get(victimKey, out));
            assertEquals(victimPage, ex.pageId());
            assertEquals(REGION_START + victimPage * PageStore.PAGE_BYTES, ex.offsetBytes());
            assertTrue(ex.getMessage().contains("page " + victimPage), ex.getMessage());
            assertTrue(ex.getMessage().contains("CRC32C"), ex.getMessage());
        }
    }

    @Test
    void refusesARegionWithoutAStoreAndAFullRegionSaysSo() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(8L << 20);
        assertThrows(RefusedException.class, () -> FileRegionPageStore.open(loop.device(), 0, 1L << 20));
        assertThrows(RefusedException.class, () -> FileRegionPageStore.create(loop.device(), 100, 1L << 20));
        try (FileRegionPageStore store = FileRegionPageStore.create(loop.device(), 0, 16 * PageStore.PAGE_BYTES))
        {
            final BTree tree = BTree.create(store, 1);
            assertThrows(PageStoreFullException.class, () ->
            {
                for (long key = 1; key < 1_000_000; key++)
                {
                    tree.put(key, key);
                }
            });
        }
        try (FileRegionPageStore store = FileRegionPageStore.create(loop.device(), 0, 1L << 20))
        {
            store.flush();
        }
        assertThrows(RefusedException.class, () -> FileRegionPageStore.open(loop.device(), 0, 2L << 20));
    }
}
