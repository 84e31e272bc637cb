// Placeholder so the tree configures while the loader is being written; replaced wholesale.
#include "config/loader.hpp"
