/* How a run file reaches the disk safely: the flush (buffered rows, space reserved first, H5Fflush,
 * the reserve given back, fsync) and what happens after a failed write (HDF5 is stopped from
 * writing to the file). See SCHEMA.md, "Durability and crash behaviour". */
#include "store/run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "store/fsutil.h"
#include "store/h5util.h"

/* The POSIX descriptor under the run file (it is opened with HDF5's default sec2 driver), or -1. */
static int file_fd(ak_run *run) {
    if (run->file < 0)
        return -1;
    hid_t fapl = H5Fget_access_plist(run->file);
    bool sec2 = fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2;
    ak_h5_close(&fapl);
    void *handle = NULL;
    if (!sec2 || H5Fget_vfd_handle(run->file, H5P_DEFAULT, &handle) < 0 || !handle) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    return *(int *)handle;
}

/* After a failed write HDF5's in-memory metadata no longer matches the file, and closing it would
 * write that metadata out piecemeal (some blocks fit, some fail on a full disk): the file could
 * then reference objects that were never written. So the handle stops HDF5 from writing at all:
 * its descriptor is replaced by a read-only one on the same file, HDF5's later writes (including
 * the flush in H5Fclose) fail harmlessly, and the file keeps its state as of the last flush. */
static void stop_writes(ak_run *run) {
    int fd = file_fd(run);
    int ro = fd < 0 ? -1 : open(run->path, O_RDONLY);
    if (ro >= 0) {
        dup2(ro, fd);
        close(ro);
    }
}

int ak_run__broke(ak_run *run, ak_error *err) {
    if (!run->broken)
        stop_writes(run);
    run->broken = true;
    return err && err->code != AK_OK ? err->code : AK_EIO;
}

/* HDF5 writes a flush's blocks in no particular order, the superblock (with the new end of the
 * allocated space) possibly first: if the disk fills up halfway, the file would claim more bytes
 * than it has and HDF5 would refuse to open it ("truncated file"). So before flushing, the space
 * the flush can need is reserved with posix_fallocate: everything allocated so far (H5Fget_filesize
 * is the larger of the file's end and HDF5's allocated end), the /train chunks written since the
 * last flush (raw chunks get their file space when the chunk cache is flushed), and a margin for
 * B-tree nodes and HDF5's 2 KiB allocation blocks. A full disk then fails here, before HDF5 writes
 * anything. The reserve is given back right after the flush (see ak_run__flush_file). */
static int reserve_for_flush(ak_run *run, ak_error *err) {
    int fd = file_fd(run);
    hsize_t size = 0;
    if (fd < 0 || H5Fget_filesize(run->file, &size) < 0)
        return ak_h5_fail(err, AK_EIO, "%s: cannot query the file size", run->path);
    int64_t chunks = 1;
    if (run->rows_on_disk > run->rows_at_flush)
        chunks += (run->rows_on_disk - 1) / AK_RUN_TRAIN_CHUNK - run->rows_at_flush / AK_RUN_TRAIN_CHUNK + 1;
    int64_t reserve = (int64_t)size + chunks * run->n_cols * AK_RUN_TRAIN_CHUNK * 8 + 64 * 1024;
    int rc = posix_fallocate(fd, 0, (off_t)reserve);
    if (rc != 0)
        return ak_error_set(err, AK_EIO, "%s: flush failed: cannot reserve %lld bytes for it (%s); the file keeps "
                            "its state of the last flush", run->path, (long long)reserve, strerror(rc));
    return AK_OK;
}

/* Buffered rows, "updated", reserve, H5Fflush: the file on disk is complete and consistent. */
int ak_run__flush_file(ak_run *run, ak_error *err) {
    char now[32];
    ak_run_timestamp(now);
    if (ak_run__train_write_buffer(run, err) != AK_OK ||
        ak_h5_attr_put_str(run->file, "updated", now, run->path, err) != AK_OK ||
        reserve_for_flush(run, err) != AK_OK)
        return ak_run__broke(run, err);
    if (H5Fflush(run->file, H5F_SCOPE_GLOBAL) < 0) {
        ak_h5_fail(err, AK_EIO, "%s: flush failed", run->path);
        return ak_run__broke(run, err);
    }
    run->rows_at_flush = run->rows_on_disk;
    /* Give the unused reserve back: cut the file to what HDF5 has allocated or written (the driver
     * did not see the fallocate, so its notion of the file's end excludes the reserve). */
    int fd = file_fd(run);
    hsize_t size = 0;
    if (fd < 0 || H5Fget_filesize(run->file, &size) < 0) {
        ak_h5_fail(err, AK_EIO, "%s: cannot query the file size", run->path);
        return ak_run__broke(run, err);
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        ak_error_set(err, AK_EIO, "%s: cannot release the flush reserve: %s", run->path, strerror(errno));
        return ak_run__broke(run, err);
    }
    return AK_OK;
}

int ak_run_flush(ak_run *run, ak_error *err) {
    AK_TRY(ak_run__check_writable(run, err));
    AK_TRY(ak_run__flush_file(run, err));
    if (ak_fsync_path(run->path, err) != AK_OK)
        return ak_run__broke(run, err);
    return AK_OK;
}
