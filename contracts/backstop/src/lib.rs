//! Ballast backstop: skeleton while the contract is being written (see docs/ARCHITECTURE.md).
pub mod contract {
    #[cfg(not(feature = "library"))]
    use cosmwasm_std::entry_point;
    use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult};
    use ballast_types::backstop::{ExecuteMsg, InstantiateMsg, QueryMsg};

    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn instantiate(_deps: DepsMut, _env: Env, _info: MessageInfo, _msg: InstantiateMsg) -> StdResult<Response> {
        Ok(Response::new())
    }
    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn execute(_deps: DepsMut, _env: Env, _info: MessageInfo, _msg: ExecuteMsg) -> StdResult<Response> {
        Err(StdError::msg("the backstop contract is not written yet"))
    }
    #[cfg_attr(not(feature = "library"), entry_point)]
    pub fn query(_deps: Deps, _env: Env, _msg: QueryMsg) -> StdResult<Binary> {
        Err(StdError::msg("the backstop contract is not written yet"))
    }
}
