/**
 * DAOS error numbers.
 *
 * One X-macro table defines every -DER_* code, its name and a one-line
 * description.  Numbers follow upstream DAOS where upstream has the code
 * (GURT range from 1000, DAOS range from 2000) so that a status printed by
 * our tools means the same thing as upstream's.  Functions return 0 or a
 * negative code; d_errstr() turns either sign into text.
 */
#ifndef DAOS_DAOS_ERRNO_H
#define DAOS_DAOS_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

#define D_FOREACH_GURT_ERR(X)                                                                      \
	X(DER_NO_PERM, 1001, "Operation not permitted")                                            \
	X(DER_NO_HDL, 1002, "Invalid handle")                                                      \
	X(DER_INVAL, 1003, "Invalid parameters")                                                   \
	X(DER_EXIST, 1004, "Entity already exists")                                                \
	X(DER_NONEXIST, 1005, "The specified entity does not exist")                               \
	X(DER_UNREACH, 1006, "Unreachable node")                                                   \
	X(DER_NOSPACE, 1007, "No space on storage target")                                         \
	X(DER_ALREADY, 1008, "Operation already performed")                                        \
	X(DER_NOMEM, 1009, "Out of memory")                                                        \
	X(DER_NOSYS, 1010, "Function not implemented")                                             \
	X(DER_TIMEDOUT, 1011, "Time out")                                                          \
	X(DER_BUSY, 1012, "Device or resource busy")                                               \
	X(DER_AGAIN, 1013, "Try again")                                                            \
	X(DER_PROTO, 1014, "Incompatible protocol")                                                \
	X(DER_UNINIT, 1015, "Device or resource not initialized")                                  \
	X(DER_TRUNC, 1016, "Buffer too short")                                                     \
	X(DER_OVERFLOW, 1017, "Data too long for defined data type or buffer size")                \
	X(DER_CANCELED, 1018, "Operation canceled")                                                \
	X(DER_OOG, 1019, "Out of group or member list")                                            \
	X(DER_HG, 1020, "Transport layer error")                                                   \
	X(DER_UNREG, 1021, "RPC or protocol version not registered")                               \
	X(DER_ADDRSTR_GEN, 1022, "Failed to generate an address string")                           \
	X(DER_PMIX, 1023, "PMIx layer error")                                                      \
	X(DER_IVCB_FORWARD, 1024, "Incast variable unavailable locally, must forward")             \
	X(DER_MISC, 1025, "Miscellaneous error")                                                   \
	X(DER_BADPATH, 1026, "Bad path name")                                                      \
	X(DER_NOTDIR, 1027, "Not a directory")                                                     \
	X(DER_CORPC_INCOMPLETE, 1028, "Collective RPC failed")                                     \
	X(DER_NO_RAS_RANK, 1029, "No rank is subscribed to RAS")                                   \
	X(DER_NOTATTACH, 1030, "Service group not attached")                                       \
	X(DER_MISMATCH, 1031, "Version mismatch")                                                  \
	X(DER_EXCLUDED, 1032, "Rank has been excluded")                                            \
	X(DER_NOREPLY, 1033, "RPC handler did not send a reply")                                   \
	X(DER_DOS, 1034, "Denial of service")                                                      \
	X(DER_BAD_TARGET, 1035, "Incorrect target for the RPC")                                    \
	X(DER_GRPVER, 1036, "Group versioning mismatch")

#define D_FOREACH_DAOS_ERR(X)                                                                      \
	X(DER_IO, 2001, "I/O error")                                                               \
	X(DER_FREE_MEM, 2002, "Memory free error")                                                 \
	X(DER_ENOENT, 2003, "Entity not found")                                                    \
	X(DER_NOTYPE, 2004, "Unknown object type")                                                 \
	X(DER_NOSCHEMA, 2005, "Unknown object schema")                                             \
	X(DER_NOLOCAL, 2006, "Object is not local")                                                \
	X(DER_STALE, 2007, "Stale pool map version")                                               \
	X(DER_NOTLEADER, 2008, "Not service leader")                                               \
	X(DER_TGT_CREATE, 2009, "Target create error")                                             \
	X(DER_EP_RO, 2010, "Epoch is read only")                                                   \
	X(DER_EP_OLD, 2011, "Epoch is too old, all data have been recycled")                       \
	X(DER_KEY2BIG, 2012, "Key is too large")                                                   \
	X(DER_REC2BIG, 2013, "Record is too large")                                                \
	X(DER_IO_INVAL, 2014, "I/O buffers do not match object extents")                           \
	X(DER_EQ_BUSY, 2015, "Event queue is busy")                                                \
	X(DER_DOMAIN, 2016, "Domain of cluster component do not match")                            \
	X(DER_SHUTDOWN, 2017, "Service should shut down")                                          \
	X(DER_INPROGRESS, 2018, "Operation now in progress")                                       \
	X(DER_NOTAPPLICABLE, 2019, "Not applicable")                                               \
	X(DER_NOTREPLICA, 2020, "Not a service replica")                                           \
	X(DER_CSUM, 2021, "Checksum error")                                                        \
	X(DER_DF_INVAL, 2022, "Unsupported durable format")                                        \
	X(DER_DF_INCOMPT, 2023, "Incompatible durable format version")                             \
	X(DER_REC_SIZE, 2024, "Record size error")                                                 \
	X(DER_TX_RESTART, 2025, "Transaction should restart")                                      \
	X(DER_DATA_LOSS, 2026, "Data lost or not recoverable")                                     \
	X(DER_OP_CANCELED, 2027, "Operation canceled")                                             \
	X(DER_TX_BUSY, 2028, "TX is not committed")                                                \
	X(DER_AGENT_INCOMPAT, 2029, "Agent is incompatible with libdaos")                          \
	X(DER_NEED_TX, 2030, "To be handled via distributed transaction")                          \
	X(DER_RF, 2031, "Failures exceed RF")                                                      \
	X(DER_FETCH_AGAIN, 2032, "Fetch again")                                                    \
	X(DER_TX_UNCERTAIN, 2033, "TX status is uncertain")                                        \
	X(DER_AGENT_COMM, 2034, "Agent communication error")                                       \
	X(DER_ID_MISMATCH, 2035, "ID mismatch")                                                    \
	X(DER_TGT_RETRY, 2036, "Retry with other target")                                          \
	X(DER_NOTSUPPORTED, 2037, "Operation not supported")                                       \
	X(DER_CONTROL_INCOMPAT, 2038, "One or more control plane components are incompatible")     \
	X(DER_NO_SERVICE, 2039, "No service available")                                            \
	X(DER_TX_ID_REUSED, 2040, "TX ID may be reused")                                           \
	X(DER_UPDATE_AGAIN, 2041, "Update again")                                                  \
	X(DER_NVME_IO, 2042, "NVMe I/O error")                                                     \
	X(DER_NO_CERT, 2043, "Unable to access one or more certificates")                          \
	X(DER_BAD_CERT, 2044, "Invalid x509 certificate")

#define D_DEFINE_ERRNO(name, value, desc) name = (value),

/** Error numbers; functions return their negation. */
/* One entry per line, as the X-macros expand: */
/* clang-format off */
enum daos_errno {
	DER_SUCCESS = 0,
	DER_ERR_GURT_BASE = 1000,
	D_FOREACH_GURT_ERR(D_DEFINE_ERRNO)
	DER_ERR_DAOS_BASE = 2000,
	D_FOREACH_DAOS_ERR(D_DEFINE_ERRNO)
	/** Returned for a code the table does not know. */
	DER_UNKNOWN = 1500,
};
/* clang-format on */

#undef D_DEFINE_ERRNO

/** Description of an error code (either sign); "Unknown error code <n>" otherwise. */
const char *d_errstr(int rc);

/** Name of an error code, e.g. "DER_INVAL"; "DER_UNKNOWN" when the table lacks it. */
const char *d_errname(int rc);

/** Convert a positive errno(3) value to the closest -DER_* code. */
int d_errno2der(int err);

#ifdef __cplusplus
}
#endif

#endif /* DAOS_DAOS_ERRNO_H */
